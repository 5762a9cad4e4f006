//! Rendering a diagnosis: one module per output format.
