fn main() {
    std::process::exit(ipsec_doctor::cli::main());
}
