//! Persistence of orders and payments: SQL over sea-orm's connection, one module per concept
//! (named as in `app/` and `grpc/`), every query filtered by tenant.
