//! Links an rpath to the shared libexecution that execution-sys found into
//! this crate's tests and examples, so they run without LD_LIBRARY_PATH.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_EXECUTION_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_EXECUTION_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
