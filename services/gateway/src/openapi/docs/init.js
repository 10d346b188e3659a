// Renders /openapi.json with Swagger UI. A separate file rather than an inline script, so that
// the page's Content-Security-Policy can allow scripts from this origin only.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // Operations are many; show them collapsed, with a filter by tag.
    docExpansion: 'none',
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
