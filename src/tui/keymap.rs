//! Keys -> named actions through one table (`action::SPECS` holds the defaults), overridable by
//! the config's `[keys]` section. The help overlay reads the same table, so it cannot lie.

use super::action::{Action, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// A key as the keymap compares it: terminals disagree on how they report shift with letters
/// and on back-tab, so events and config specs are both normalized to one form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("space", KeyCode::Char(' ')),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

/// Spellings people write that mean a key in `NAMED`.
const ALIASES: &[(&str, &str)] = &[
    ("pageup", "pgup"),
    ("pagedown", "pgdn"),
    ("pgdown", "pgdn"),
    ("return", "enter"),
    ("escape", "esc"),
    ("del", "delete"),
    ("ins", "insert"),
];

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // The character already carries the case; shift on top of it is noise.
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c.to_ascii_uppercase())
                }
            }
            // Legacy terminals cannot report ctrl-shift-letter, so ctrl-D is ctrl-d.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    /// The character this key types into a text input, if it types one.
    pub fn text(&self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if self.mods.is_empty() => Some(c),
            _ => None,
        }
    }

    /// Parses the config syntax: a character as typed, or `ctrl-`/`alt-`/`shift-` prefixes
    /// before a character or a key name (`pgdn`, `f5`, ...).
    pub fn parse(spec: &str) -> Result<Key, String> {
        if spec.is_empty() {
            return Err("empty key name".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = spec;
        'prefixes: loop {
            for (prefix, m) in [
                ("ctrl-", KeyModifiers::CONTROL),
                ("alt-", KeyModifiers::ALT),
                ("shift-", KeyModifiers::SHIFT),
            ] {
                // `rest.len() > prefix.len()` keeps "ctrl--" meaning ctrl plus the minus key.
                if rest.len() > prefix.len()
                    && rest.is_char_boundary(prefix.len())
                    && rest[..prefix.len()].eq_ignore_ascii_case(prefix)
                {
                    mods |= m;
                    rest = &rest[prefix.len()..];
                    continue 'prefixes;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && !c.is_ascii_alphabetic() {
                    return Err(format!(
                        "'{spec}': shift- only goes with letters and named keys; write the character the key types"
                    ));
                }
                if c.is_control() {
                    return Err(format!("'{}' is a control character, not a key name", c.escape_default()));
                }
                KeyCode::Char(c)
            }
            _ => named(rest).ok_or_else(|| {
                let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown key '{rest}' in '{spec}' (a single character, or one of {}, f1..f12, with optional ctrl-, alt-, shift-)",
                    names.join(", ")
                )
            })?,
        };
        Ok(Key::new(code, mods))
    }
}

fn named(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, n)| *n)
        .unwrap_or(&lower);
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == canonical) {
        return Some(*code);
    }
    let n: u8 = canonical.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

impl fmt::Display for Key {
    /// The config syntax, so help shows what the user would write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

/// Every action's keys, indexed by action.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    keys: Vec<Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            keys: Action::all()
                .map(|a| {
                    a.default_keys()
                        .iter()
                        .filter_map(|s| Key::parse(s).ok())
                        .collect()
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The defaults with `[keys]` overrides applied; errors are (action name, message).
    /// A listed action's default keys are replaced, not extended.
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Keymap, Vec<(String, String)>> {
        let mut map = Keymap::default();
        let mut errors = Vec::new();
        for (name, specs) in overrides {
            let Some(action) = Action::from_name(name) else {
                let names: Vec<&str> = Action::all().map(|a| a.name()).collect();
                errors.push((
                    name.clone(),
                    format!("unknown action '{name}' (one of: {})", names.join(", ")),
                ));
                continue;
            };
            let mut keys: Vec<Key> = Vec::new();
            for spec in specs {
                match Key::parse(spec) {
                    Ok(k) if !keys.contains(&k) => keys.push(k),
                    Ok(_) => {}
                    Err(e) => errors.push((name.clone(), e)),
                }
            }
            if action == Action::Quit && specs.is_empty() {
                errors.push((name.clone(), "quit needs at least one key".into()));
            }
            if action.contexts().iter().all(|c| c.is_input())
                && let Some(k) = keys.iter().find(|k| k.text().is_some())
            {
                errors.push((
                    name.clone(),
                    format!("'{k}' would type itself into the {}; bind a key that types nothing (enter, ctrl-...)", action.contexts()[0].name()),
                ));
            }
            map.keys[action as usize] = keys;
        }
        errors.extend(map.conflicts(overrides));
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    /// Two actions on one key in one context: the second would never run.
    fn conflicts(&self, overrides: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
        // (blamed action, key, other action) and the contexts where they clash.
        type Clash = (Action, Key, Action);
        let mut clashes: Vec<(Clash, Vec<&str>)> = Vec::new();
        for ctx in Context::ALL {
            let mut owner: Vec<(Key, Action)> = Vec::new();
            for action in Action::all().filter(|a| a.applies_in(ctx)) {
                for &key in self.keys(action) {
                    let Some(&(_, other)) = owner.iter().find(|(k, _)| *k == key) else {
                        owner.push((key, action));
                        continue;
                    };
                    // Blame the action the user changed, since that is the line to fix.
                    let pair = if overrides.contains_key(action.name()) {
                        (action, key, other)
                    } else {
                        (other, key, action)
                    };
                    match clashes.iter_mut().find(|(p, _)| *p == pair) {
                        Some((_, ctxs)) => ctxs.push(ctx.name()),
                        None => clashes.push((pair, vec![ctx.name()])),
                    }
                }
            }
        }
        clashes
            .into_iter()
            .map(|((blamed, key, with), ctxs)| {
                let msg = format!(
                    "key '{key}' is also bound to {} (in the {})",
                    with.name(),
                    ctxs.join(", ")
                );
                (blamed.name().to_string(), msg)
            })
            .collect()
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        &self.keys[action as usize]
    }

    /// The action a key runs in a context, if any.
    pub fn action_for(&self, ctx: Context, key: Key) -> Option<Action> {
        Action::all()
            .filter(|a| a.applies_in(ctx))
            .find(|a| self.keys(*a).contains(&key))
    }

    /// "j, down": the keys as help and hints show them.
    pub fn describe(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys(action).iter().map(Key::to_string).collect();
        if keys.is_empty() {
            "(unbound)".into()
        } else {
            keys.join(", ")
        }
    }

    /// The first key of an action, for the one-line hints.
    pub fn first(&self, action: Action) -> Option<Key> {
        self.keys(action).first().copied()
    }
}
