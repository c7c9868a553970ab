//! Normalisation of names and emails as the data contract prescribes.

/// Lower snake case: `Paid Search` -> `paid_search`, `paidSearch` -> `paid_search`,
/// `PAID-SEARCH` -> `paid_search`. Letters outside ASCII are kept (lower-cased).
pub fn snake_case(input: &str) -> String {
    // Most values (channels, kinds, stages in exports) already are: millions of rows
    // need no rebuilding character by character.
    let b = input.as_bytes();
    if !b.is_empty()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && b[0] != b'_'
        && b[b.len() - 1] != b'_'
        && !input.contains("__")
    {
        return input.to_string();
    }
    rebuild_snake_case(input)
}

fn rebuild_snake_case(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut prev_lower_or_digit = false;
    let mut pending_sep = false;
    for c in input.trim().chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower_or_digit {
                pending_sep = true;
            }
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            out.extend(c.to_lowercase());
            prev_lower_or_digit = c.is_lowercase();
        } else {
            pending_sep = true;
            prev_lower_or_digit = false;
        }
    }
    out
}

/// Trimmed and lower-cased; `None` when it does not look like an address.
pub fn normalize_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace);
    ok.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        // Regression guard for the shortcut: what it returns as is, the rebuild agrees.
        #[test]
        fn the_snake_case_shortcut_agrees_with_the_rebuild(s in "[a-z0-9_A-Z ]{0,12}") {
            proptest::prop_assert_eq!(snake_case(&s), rebuild_snake_case(&s));
        }
    }

    #[test]
    fn snake_cases_channel_names() {
        assert_eq!(snake_case("Paid Search"), "paid_search");
        assert_eq!(snake_case("  paid_search "), "paid_search");
        assert_eq!(snake_case("PAID_SEARCH"), "paid_search");
        assert_eq!(snake_case("paidSearch"), "paid_search");
        assert_eq!(snake_case("Paid-Social (Meta)"), "paid_social_meta");
        assert_eq!(snake_case("Wyszukiwanie Płatne"), "wyszukiwanie_płatne");
        assert_eq!(snake_case("B2B  Events"), "b2b_events");
        assert_eq!(snake_case("(none)"), "none");
    }

    #[test]
    fn normalizes_emails() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(normalize_email("no-at-sign"), None);
        assert_eq!(normalize_email("a b@c.d"), None);
        assert_eq!(normalize_email("@c.d"), None);
    }
}
