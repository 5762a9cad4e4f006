//! Reading captured router output from files and stdin for offline analysis.
