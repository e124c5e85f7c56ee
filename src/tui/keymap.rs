use std::collections::BTreeMap;

/// Named actions bound to keys through one table.
#[derive(Debug, Clone, Default)]
pub struct Keymap;

impl Keymap {
    /// The defaults with `[keys]` overrides applied; errors are (action name, message).
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, Vec<(String, String)>> {
        let _ = overrides;
        Ok(Keymap)
    }
}
