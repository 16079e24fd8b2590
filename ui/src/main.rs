//! The `hearth` binary.

fn main() {
    println!("hearth {}", env!("CARGO_PKG_VERSION"));
}
