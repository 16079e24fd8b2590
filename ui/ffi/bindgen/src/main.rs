//! UniFFI's binding generator, pinned to the version hearth-ffi is built with (the two must
//! match). `scripts/bindings` runs it in library mode on the built library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
