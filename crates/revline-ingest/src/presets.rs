pub fn preset(_name: &str) -> Option<crate::Mapping> {
    None
}
pub const PRESETS: &[&str] = &[];
