//! Memory stays bounded whatever a file holds.

use super::*;
use std::io::Write;

/// The highest resident memory of a running child, read off `/proc` until it exits.
fn peak_resident_mb(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak_kb / 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A 1 MB `contacts.csv.gz` holding one 1 GiB field took the command line to 3.45 GB:
/// the field limit was applied after the field was in memory. Now the line is dropped
/// as it streams.
#[test]
fn a_compressed_file_with_an_enormous_field_is_imported_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("contacts.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&data).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(b"contact_id,email,created_at\nc1,a@example.com,2026-01-01\nc2,")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..512 {
        gz.write_all(&block).unwrap();
    }
    gz.write_all(b",2026-01-01\nc3,c@example.com,2026-01-01\n")
        .unwrap();
    gz.finish().unwrap();
    let db = dir.path().join("r.db");
    let child = revline(&db)
        .arg("import")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak_mb) = peak_resident_mb(child);
    assert_eq!(status.code(), Some(3), "a row was refused");
    assert!(peak_mb < 150, "peak {peak_mb} MB for a 512 MB field");
    let exported = dir.path().join("out");
    assert!(
        run(revline(&db).arg("export").arg(&exported))
            .status
            .success()
    );
    let text = std::fs::read_to_string(exported.join("contacts.csv")).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(ids, ["c1", "c3"]);
}
