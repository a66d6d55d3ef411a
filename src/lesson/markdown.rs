//! Markdown section bodies to safe HTML.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown and sanitises the result, so a lesson file cannot inject script, event
/// handlers or `javascript:` links. Headings are demoted by two levels because each body sits
/// under the page's `<h1>` and its section's `<h2>`.
pub fn render_markdown(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demote(level))),
        other => other,
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, events);
    // Exactly sized: a course of a thousand lessons keeps every section for its lifetime.
    let mut html = SANITIZER.clean(&unsafe_html).to_string();
    html.shrink_to_fit();
    html
}

/// Built once: a default `ammonia::Builder` allocates its tag and attribute sets afresh,
/// which cost about a tenth of loading a lesson when done per section.
static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.url_schemes(["http", "https", "mailto"].into());
    builder
});

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn script_event_handlers_and_javascript_links_render_inert() {
        let html = render_markdown(
            "Hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) <a href=\"JaVaScRiPt:alert(4)\">y</a>",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
    }

    #[test]
    fn emphasis_lists_and_headings_render_with_headings_demoted() {
        let html = render_markdown("# Part\n\n**bold** and *it*\n\n- one\n- two\n");
        assert!(html.contains("<h3>Part</h3>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }
}
