//! Query-string values written into the links Revline makes (the app's pages, an
//! alert's link to the page that shows it).

/// Everything but letters, digits and `-_.~/:` is escaped (the value of one query
/// parameter; a path stays readable).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b':');

/// `s` as the value of one query parameter.
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}
