//! Storage of partner clients: the clients with their hashed secrets, limits and token
//! generation.

pub mod clients;
