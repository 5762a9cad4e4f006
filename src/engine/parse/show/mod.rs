//! Show-command parsers: one file per command, text in, typed facts out.
