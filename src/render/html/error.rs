//! The short page an error answers with: what was wrong, in English and in French (the
//! reader's language may be what could not be read), and a way back.

use askama::Template;

use crate::web::routes;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    en: &'a str,
    fr: &'a str,
}

pub fn error_page(status: u16, en: &str, fr: &str) -> Vec<u8> {
    ErrorPage { status, en, fr }
        .render()
        .expect("templates render plain data")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_languages_are_shown_and_escaped() {
        let html = String::from_utf8(super::error_page(404, "No <page>", "Pas de page")).unwrap();
        assert!(html.contains("No &#60;page&#62;") || html.contains("No &lt;page&gt;"));
        assert!(html.contains(r#"<p lang="fr">Pas de page</p>"#));
    }
}
