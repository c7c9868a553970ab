//! Built-in mappings for CRM exports (`--preset NAME`): the TOML files in `presets/`,
//! compiled in. docs/presets.md lists the files and columns each one recognises.

use crate::Mapping;

/// The names `--preset` accepts.
pub const PRESETS: &[&str] = &["hubspot", "salesforce", "pipedrive"];

/// The mapping of a preset (case-insensitive name), or `None` for an unknown name.
pub fn preset(name: &str) -> Option<Mapping> {
    let name = name.trim().to_ascii_lowercase();
    let text = match name.as_str() {
        "hubspot" => include_str!("../presets/hubspot.toml"),
        "salesforce" => include_str!("../presets/salesforce.toml"),
        "pipedrive" => include_str!("../presets/pipedrive.toml"),
        _ => return None,
    };
    let origin = format!("preset {name}");
    // The texts are fixed at compile time; the test below parses every one.
    Some(Mapping::parse(text, &origin).unwrap_or_else(|e| panic!("built-in {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses() {
        for name in PRESETS {
            let mapping = preset(name).unwrap_or_else(|| panic!("{name} is listed but unknown"));
            assert!(!mapping.files.is_empty(), "{name} has no entries");
        }
        assert!(preset("HubSpot").is_some());
        assert!(preset("zoho").is_none());
    }
}
