//! Compiles the app's `.slint` files. Element debug info stays on so the headless tests can find
//! elements by their accessible labels.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(err) = slint_build::compile_with_config("ui/app.slint", config) {
        // A build script reports failure by panicking; print the compiler's message first.
        eprintln!("{err}");
        std::process::exit(1);
    }
}
