//! Generation speed: 20,000 contacts (the default demo workspace), counting the records.

use revline_demo::{DemoConfig, generate};

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn contacts_20k() -> u64 {
    let config = DemoConfig {
        contacts: 20_000,
        ..DemoConfig::default()
    };
    let mut records = 0u64;
    generate(divan::black_box(&config), &mut |r| {
        divan::black_box(&r);
        records += 1;
    });
    records
}
