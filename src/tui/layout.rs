//! Where each part of the screen goes. Shared by `update` (which needs the list's height to page
//! by a screen) and `view`, so both always agree.

use super::app::{Focus, State};
use ratatui::layout::Rect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Saved views as tabs; no height when there are none to switch between.
    pub tabs: Rect,
    /// The backlog table, header row included.
    pub list: Rect,
    pub detail: Option<Rect>,
    pub status: Rect,
    /// Key hints, or the filter input while typing.
    pub hints: Rect,
}

/// Room to show the detail beside or below the list without hiding the list.
pub fn roomy(width: u16, height: u16) -> bool {
    width >= 160 || height >= 40
}

pub fn areas(state: &State, area: Rect) -> Areas {
    // The tab line is worth a row only when there is another tab to go to, and only when the
    // list keeps a few rows besides.
    let roomy = roomy(area.width, area.height);
    let tabs_h = u16::from(state.tabs.len() > 1 && area.height >= 8);
    let tabs = Rect::new(area.x, area.y, area.width, tabs_h);
    let area = Rect::new(area.x, area.y + tabs_h, area.width, area.height - tabs_h);
    let bars = area.height.min(2);
    let main_h = area.height - bars;
    let main = Rect::new(area.x, area.y, area.width, main_h);
    let status = Rect::new(area.x, area.y + main_h, area.width, bars.min(1));
    let hints = Rect::new(
        area.x,
        area.y + main_h + 1,
        area.width,
        bars.saturating_sub(1),
    );
    if !state.detail_visible() {
        return Areas {
            tabs,
            list: main,
            detail: None,
            status,
            hints,
        };
    }
    if area.width >= 160 {
        let list_w = area.width * 55 / 100;
        return Areas {
            tabs,
            list: Rect::new(main.x, main.y, list_w, main_h),
            detail: Some(Rect::new(
                main.x + list_w,
                main.y,
                area.width - list_w,
                main_h,
            )),
            status,
            hints,
        };
    }
    let list_h = if state.focus == Focus::Detail && !roomy {
        (main_h / 3).max(4)
    } else {
        (main_h * 2 / 5).max(4)
    }
    .min(main_h);
    Areas {
        tabs,
        list: Rect::new(main.x, main.y, area.width, list_h),
        detail: Some(Rect::new(
            main.x,
            main.y + list_h,
            area.width,
            main_h - list_h,
        )),
        status,
        hints,
    }
}

/// Draws a bordered box centred on the screen, at most `max_w` x `max_h`, over whatever is
/// behind it, and returns the room inside; `None` when the screen is too small for a box.
pub fn modal(
    frame: &mut ratatui::Frame,
    theme: &super::theme::Theme,
    title: &str,
    max_w: u16,
    max_h: u16,
) -> Option<Rect> {
    use ratatui::widgets::{Block, Clear};
    let screen = frame.area();
    if screen.width < 4 || screen.height < 4 {
        return None;
    }
    let w = screen.width.min(max_w) - 2;
    let h = screen.height.min(max_h) - 2;
    let rect = Rect::new(
        screen.x + (screen.width - w) / 2,
        screen.y + (screen.height - h) / 2,
        w,
        h,
    );
    let block = Block::bordered()
        .title(super::text::clip(title, w.saturating_sub(2) as usize))
        .border_style(theme.key);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    Some(inner)
}
