//! Markdown section bodies to safe HTML.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown and sanitises the result, so a lesson file cannot inject script, event
/// handlers or `javascript:` links. Headings are demoted by two levels because each body sits
/// under the page's `<h1>` and its section's `<h2>`.
pub fn render_markdown(markdown: &str) -> String {
    render_and_count(markdown).0
}

/// [`render_markdown`], and the number of words a reader reads in it (see [`count_words`]),
/// counted from the same parse.
pub fn render_and_count(markdown: &str) -> (String, usize) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut text = String::new();
    // Inside inline `<script>` or `<style>`, whose text the sanitiser drops.
    let mut hidden = false;
    let events = Parser::new_ext(markdown, options).inspect(|event| match event {
        Event::InlineHtml(tag) => {
            let tag = tag.to_ascii_lowercase();
            if tag.starts_with("<script") || tag.starts_with("<style") {
                hidden = true;
            } else if tag.starts_with("</script") || tag.starts_with("</style") {
                hidden = false;
            }
            text.push(' ');
        }
        Event::Text(_) | Event::Code(_) if hidden => {}
        Event::Text(t) | Event::Code(t) => text.push_str(t),
        // Inline markup sits inside a word (`un*believ*able`); anything else ends one.
        Event::Start(_)
        | Event::End(
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image,
        ) => {}
        _ => text.push(' '),
    });
    let events = events.map(|event| match event {
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
    (html, count_words(&text))
}

/// Words in plain text: runs between whitespace that hold at least one letter or digit, so
/// punctuation standing alone (`—`, `|`) is not a word.
pub fn count_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
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
    use super::{count_words, render_and_count, render_markdown};

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

    #[test]
    fn words_are_counted_from_the_text_a_reader_sees() {
        let (_, words) = render_and_count(
            "# Two words\n\nOne *two*, un**believ**able — `code` [link text](https://example.org).\n\n| a | b |\n|---|---|\n| c | d |\n\n<script>alert(1)</script>\n\nLast <script>alert(2)</script> words.\n",
        );
        // Two words / One two unbelievable code link text / a b c d / Last words: the
        // scripts, which the sanitiser removes, are not read.
        assert_eq!(words, 2 + 6 + 4 + 2);
        assert_eq!(count_words("  — | 1994 "), 1);
    }
}
