fn main() {
    let rows = experiments::bench::engine(&[1_000, 100_000], 10_000_000, 3).unwrap();
    print!("{}", experiments::bench::format_engine(&rows));
}
