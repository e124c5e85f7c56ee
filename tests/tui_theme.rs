//! Colour depth from the environment, and themes that never rely on colour alone.

use lastmile::model::{Severity, Status};
use lastmile::tui::detect_color_depth;
use lastmile::tui::theme::{ColorDepth, Theme, downsample, to_ansi16, to_ansi256};
use lastmile::tui::view::{severity_label, status_label};
use ratatui::style::Color;

#[test]
fn colour_depth_detection_table() {
    use ColorDepth as D;
    type Env<'a> = Option<&'a str>;
    let table: &[(Env, Env, Env, ColorDepth)] = &[
        // NO_COLOR, COLORTERM, TERM -> depth
        (None, None, None, D::Ansi16),
        (None, None, Some("xterm"), D::Ansi16),
        (None, None, Some("xterm-256color"), D::Ansi256),
        (None, None, Some("screen-256color"), D::Ansi256),
        (None, None, Some("dumb"), D::None),
        (
            None,
            Some("truecolor"),
            Some("xterm-256color"),
            D::TrueColor,
        ),
        (None, Some("24bit"), Some("xterm"), D::TrueColor),
        (None, Some("TrueColor"), None, D::TrueColor),
        (None, Some("yes"), Some("xterm-256color"), D::Ansi256),
        (None, Some("truecolor"), Some("dumb"), D::TrueColor),
        (
            Some("1"),
            Some("truecolor"),
            Some("xterm-256color"),
            D::None,
        ),
        (Some("anything"), None, None, D::None),
        // An empty NO_COLOR does not count (no-color.org).
        (Some(""), None, Some("xterm-256color"), D::Ansi256),
        (Some(""), Some("truecolor"), None, D::TrueColor),
    ];
    for (no_color, colorterm, term, want) in table {
        assert_eq!(
            detect_color_depth(*no_color, *colorterm, *term),
            *want,
            "NO_COLOR={no_color:?} COLORTERM={colorterm:?} TERM={term:?}"
        );
    }
}

#[test]
fn rgb_is_brought_down_to_the_terminal() {
    assert_eq!(
        downsample((255, 85, 85), ColorDepth::TrueColor),
        Some(Color::Rgb(255, 85, 85))
    );
    assert_eq!(
        downsample((255, 0, 0), ColorDepth::Ansi256),
        Some(Color::Indexed(196))
    );
    assert_eq!(to_ansi256(95, 135, 175), 16 + 36 + 2 * 6 + 3);
    assert_eq!(to_ansi256(238, 238, 238), 255);
    assert_eq!(to_ansi16(255, 85, 85), Color::LightRed);
    assert_eq!(to_ansi16(0, 0, 0), Color::Black);
    assert_eq!(to_ansi16(255, 255, 255), Color::White);
    assert_eq!(downsample((0, 0, 0), ColorDepth::None), None);
    let t = Theme::new("default", ColorDepth::Ansi16);
    assert!(matches!(
        t.severity(Severity::Critical).fg,
        Some(Color::LightRed | Color::Red)
    ));
}

#[test]
fn severity_and_status_always_have_words() {
    let labels: Vec<&str> = Severity::ALL.iter().map(|s| severity_label(*s)).collect();
    assert_eq!(labels, ["CRIT", "HIGH", "MED", "LOW", "INFO"]);
    let mut seen = std::collections::HashSet::new();
    for s in Status::ALL {
        let l = status_label(s);
        assert!(!l.is_empty() && l.len() <= 9, "{l}");
        assert!(seen.insert(l), "{l} names two statuses");
    }
    let mono = Theme::new("mono", ColorDepth::TrueColor);
    assert_eq!(mono.depth, ColorDepth::None);
    assert_eq!(mono.severity(Severity::Critical).fg, None);
}
