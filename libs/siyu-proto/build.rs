//! Compiles every package under `proto/` with protox (no system protoc), generating message
//! types, gRPC clients and servers, and an encoded descriptor set for gRPC reflection.

use std::path::{Path, PathBuf};

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

#[expect(
    clippy::disallowed_methods,
    reason = "a build script learns its directories from cargo through the environment"
)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto").canonicalize()?;
    let mut files = Vec::new();
    collect_protos(&proto_root.join("siyu"), &mut files)?;
    // The REST binding types (`google.api.HttpRule`) are read by `contract`.
    collect_protos(&proto_root.join("google"), &mut files)?;
    // A stable order keeps the generated code and descriptor set reproducible.
    files.sort();

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(&files)?;
    // The embedded set keeps the method options (REST bindings, access) and the comments:
    // the gateway, the services' access layer and the OpenAPI document read them at start-up.
    // `prost_types` would drop extension options, so the set is encoded by protox itself.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("siyu_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    let mut descriptors = compiler.file_descriptor_set();
    // googleapis' comments hold example snippets that rustdoc would run as doctests.
    for file in &mut descriptors.file {
        if file.package() == "google.api" {
            file.source_code_info = None;
        }
    }

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // A service implements the RPCs it has built; the rest answer UNIMPLEMENTED honestly
        // instead of forcing hand-written stubs for every method of a large contract.
        .generate_default_stubs(true)
        .include_file("siyu_include.rs")
        .compile_fds(descriptors)?;

    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    Ok(())
}
