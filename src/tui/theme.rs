//! Colours: themes are written in RGB and brought down to what the terminal can show. With no
//! colour at all only bold/reverse remain, which is enough because no state is shown by colour
//! alone (severity and status are always words too).

use crate::model::{Severity, Status};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

/// From the environment's NO_COLOR, COLORTERM and TERM (passed in so this stays pure).
pub fn detect_color_depth(
    no_color: Option<&str>,
    colorterm: Option<&str>,
    term: Option<&str>,
) -> ColorDepth {
    // no-color.org: set and non-empty disables colour, whatever else says.
    if no_color.is_some_and(|v| !v.is_empty()) {
        return ColorDepth::None;
    }
    let colorterm = colorterm.unwrap_or("").to_ascii_lowercase();
    if colorterm == "truecolor" || colorterm == "24bit" {
        return ColorDepth::TrueColor;
    }
    let term = term.unwrap_or("").to_ascii_lowercase();
    if term.contains("256color") {
        ColorDepth::Ansi256
    } else if term == "dumb" {
        ColorDepth::None
    } else {
        ColorDepth::Ansi16
    }
}

/// The depth of the terminal this process runs in.
pub fn detect_from_env() -> ColorDepth {
    let var = |k: &str| std::env::var(k).ok();
    detect_color_depth(
        var("NO_COLOR").as_deref(),
        var("COLORTERM").as_deref(),
        var("TERM").as_deref(),
    )
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (x as i32 - y as i32).unsigned_abs();
    // Weighted towards green the way eyes are; good enough to pick a palette entry.
    2 * d(a.0, b.0).pow(2) + 4 * d(a.1, b.1).pow(2) + 3 * d(a.2, b.2).pow(2)
}

/// The nearest entry of the xterm 256-colour palette's cube or grey ramp (16..=255; the first
/// 16 are left out because terminals redefine them).
pub fn to_ansi256(r: u8, g: u8, b: u8) -> u8 {
    let nearest_level = |v: u8| {
        (0..6)
            .min_by_key(|&i| (CUBE[i] as i32 - v as i32).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (nearest_level(r), nearest_level(g), nearest_level(b));
    let cube_rgb = (CUBE[ri], CUBE[gi], CUBE[bi]);
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    let avg = (r as u32 + g as u32 + b as u32) / 3;
    let grey_i = ((avg.saturating_sub(8) + 5) / 10).min(23) as u8;
    let grey = 8 + 10 * grey_i;
    if dist((grey, grey, grey), (r, g, b)) < dist(cube_rgb, (r, g, b)) {
        232 + grey_i
    } else {
        cube_index as u8
    }
}

/// The nearest of the 16 ANSI colours by hue and lightness. (Nearest by RGB distance turns
/// saturated light colours grey, because the 16 are so far apart.)
pub fn to_ansi16(r: u8, g: u8, b: u8) -> Color {
    let (r, g, b) = (r as i32, g as i32, b as i32);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if chroma < 48 {
        return match max {
            0..=60 => Color::Black,
            61..=160 => Color::DarkGray,
            161..=230 => Color::Gray,
            _ => Color::White,
        };
    }
    let hue = if max == r {
        (60 * (g - b) / chroma).rem_euclid(360)
    } else if max == g {
        60 * (b - r) / chroma + 120
    } else {
        60 * (r - g) / chroma + 240
    };
    let bright = max > 200;
    let pick = |normal: Color, light: Color| if bright { light } else { normal };
    match hue {
        0..=19 | 330..=359 => pick(Color::Red, Color::LightRed),
        20..=79 => pick(Color::Yellow, Color::LightYellow),
        80..=159 => pick(Color::Green, Color::LightGreen),
        160..=199 => pick(Color::Cyan, Color::LightCyan),
        200..=264 => pick(Color::Blue, Color::LightBlue),
        _ => pick(Color::Magenta, Color::LightMagenta),
    }
}

/// An RGB colour as the terminal can show it, or none.
pub fn downsample(rgb: (u8, u8, u8), depth: ColorDepth) -> Option<Color> {
    let (r, g, b) = rgb;
    match depth {
        ColorDepth::None => None,
        ColorDepth::Ansi16 => Some(to_ansi16(r, g, b)),
        ColorDepth::Ansi256 => Some(Color::Indexed(to_ansi256(r, g, b))),
        ColorDepth::TrueColor => Some(Color::Rgb(r, g, b)),
    }
}

/// Styles the views use, already fitted to the terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub depth: ColorDepth,
    pub base: Style,
    pub header: Style,
    pub selected: Style,
    pub bar: Style,
    pub error: Style,
    pub key: Style,
    pub border: Style,
    pub label: Style,
    pub dim: Style,
    /// The selected and pending marks, and the selection count.
    pub mark: Style,
    /// Deadlines: the words and `!`/`~` say it, the colour repeats it.
    pub overdue: Style,
    pub due_soon: Style,
    severity: [Style; 5],
    status_active: Style,
    status_done: Style,
    status_decided: Style,
}

type Rgb = (u8, u8, u8);

/// (foreground, background, modifiers) per role, before fitting to a depth.
struct Palette {
    critical: Rgb,
    high: Rgb,
    medium: Rgb,
    low: Rgb,
    info: Rgb,
    done: Rgb,
    decided: Rgb,
    header: Rgb,
    selected_bg: Rgb,
    bar_bg: Rgb,
    bar_fg: Rgb,
    error: Rgb,
    key: Rgb,
    border: Rgb,
    label: Rgb,
}

const DEFAULT: Palette = Palette {
    critical: (255, 85, 85),
    high: (200, 90, 40),
    medium: (230, 200, 60),
    low: (110, 170, 255),
    info: (160, 160, 160),
    done: (120, 200, 120),
    decided: (150, 150, 150),
    header: (170, 170, 255),
    selected_bg: (55, 60, 95),
    bar_bg: (60, 60, 110),
    bar_fg: (225, 225, 225),
    error: (255, 95, 95),
    key: (120, 200, 255),
    border: (100, 100, 140),
    label: (150, 170, 200),
};

impl Theme {
    /// `name` is the config's `ui.theme` ("default" or "mono"; anything else is the default).
    pub fn new(name: &str, depth: ColorDepth) -> Theme {
        let depth = if name == "mono" {
            ColorDepth::None
        } else {
            depth
        };
        let p = &DEFAULT;
        let fg = |rgb: Rgb| match downsample(rgb, depth) {
            Some(c) => Style::new().fg(c),
            None => Style::new(),
        };
        let bg = |rgb: Rgb, style: Style| match downsample(rgb, depth) {
            Some(c) => style.bg(c),
            None => style,
        };
        let colour = depth != ColorDepth::None;
        let bold = Modifier::BOLD;
        // Without colour the selection and the bars still need to stand out: reverse them.
        let reverse_if_mono = |s: Style| {
            if colour {
                s
            } else {
                s.add_modifier(Modifier::REVERSED)
            }
        };
        Theme {
            name: if name == "mono" { "mono" } else { "default" }.into(),
            depth,
            base: Style::new(),
            header: fg(p.header).add_modifier(bold),
            selected: reverse_if_mono(bg(p.selected_bg, Style::new()).add_modifier(bold)),
            bar: reverse_if_mono(bg(p.bar_bg, fg(p.bar_fg))),
            error: fg(p.error).add_modifier(bold),
            key: fg(p.key).add_modifier(bold),
            border: fg(p.border),
            label: fg(p.label),
            dim: if colour {
                fg(p.decided)
            } else {
                Style::new().add_modifier(Modifier::DIM)
            },
            mark: fg(p.key).add_modifier(bold),
            overdue: fg(p.critical).add_modifier(bold),
            due_soon: fg(p.medium),
            severity: [
                fg(p.info),
                fg(p.low),
                fg(p.medium),
                fg(p.high).add_modifier(bold),
                fg(p.critical).add_modifier(bold),
            ],
            status_active: Style::new(),
            status_done: fg(p.done),
            status_decided: if colour {
                fg(p.decided)
            } else {
                Style::new().add_modifier(Modifier::DIM)
            },
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        self.severity[s.rank().clamp(0, 4) as usize]
    }

    pub fn status(&self, s: Status) -> Style {
        if s.is_active() {
            self.status_active
        } else if s.is_resolved_by_code() {
            self.status_done
        } else {
            self.status_decided
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_picks_the_obvious_entries() {
        assert_eq!(to_ansi256(255, 0, 0), 196);
        assert_eq!(to_ansi256(0, 0, 0), 16);
        assert_eq!(to_ansi256(128, 128, 128), 244);
        assert_eq!(to_ansi16(250, 10, 10), Color::LightRed);
        assert_eq!(to_ansi16(0, 190, 0), Color::Green);
        assert_eq!(downsample((1, 2, 3), ColorDepth::None), None);
        assert_eq!(
            downsample((1, 2, 3), ColorDepth::TrueColor),
            Some(Color::Rgb(1, 2, 3))
        );
    }

    #[test]
    fn mono_and_no_colour_use_modifiers_only() {
        for t in [
            Theme::new("mono", ColorDepth::TrueColor),
            Theme::new("default", ColorDepth::None),
        ] {
            for s in [t.selected, t.bar, t.error, t.severity(Severity::Critical)] {
                assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
            }
            assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
        }
        let t = Theme::new("default", ColorDepth::Ansi256);
        assert!(matches!(
            t.severity(Severity::Critical).fg,
            Some(Color::Indexed(_))
        ));
        // On 16 colours every severity still gets its own colour (besides its word).
        let t = Theme::new("default", ColorDepth::Ansi16);
        let fgs: std::collections::HashSet<_> =
            Severity::ALL.iter().map(|s| t.severity(*s).fg).collect();
        assert_eq!(fgs.len(), 5, "{fgs:?}");
    }
}
