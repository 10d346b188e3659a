//! Cross-service journeys of Siyu live in `tests/journeys/`: the real services, started in one
//! process by `siyu_platform::Suite`, called through the gateway's REST API over HTTP, against
//! real Postgres (a fresh database per service and test), Redis and NATS. This library is empty.
