//! Containers: the engine (a Docker engine, or podman's service in a sandbox of its own),
//! `docker-compose` on the repository's file, a local Envoy image, a registry on loopback.

pub mod compose;
mod docker_api;
pub mod engine;
pub mod envoy_image;
pub mod podman;
pub mod registry;
