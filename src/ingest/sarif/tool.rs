//! `run.tool` indexed for lookups: rules by index and id, what each rule passes on to its
//! results (title, default level, security-severity, CWE, CVE, message strings).

use super::raw::{DescriptorRef, Level, RawComponent, RawResult, RawText, RawTool};
use super::text::title_from;
use std::collections::HashMap;

/// One rule, with what every result of it inherits precomputed.
#[derive(Debug, Default)]
pub(super) struct RuleInfo {
    pub(super) id: String,
    pub(super) title: Option<String>,
    pub(super) default_level: Option<Level>,
    pub(super) score: Option<f64>,
    pub(super) cwes: Vec<u32>,
    /// `cwes` formatted, for the common result that adds none of its own.
    pub(super) cwe_text: Option<String>,
    pub(super) cves: Vec<String>,
    pub(super) help_uri: Option<String>,
    pub(super) message_strings: HashMap<String, String>,
    /// Relationship targets; they may point at CWE taxa, resolved per finding.
    pub(super) taxa: Vec<DescriptorRef>,
}

#[derive(Debug, Default)]
pub(super) struct Component {
    pub(super) name: Option<String>,
    pub(super) guid: Option<String>,
    pub(super) rules: Vec<RuleInfo>,
    pub(super) messages: HashMap<String, String>,
}

/// `run.tool`, indexed. Component 0 is the driver, extension `i` is component `i + 1`.
#[derive(Debug)]
pub(super) struct Tool {
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) components: Vec<Component>,
    pub(super) by_id: HashMap<String, (usize, usize)>,
    /// Some rule relates to a taxon only by taxonomy index, so `run.taxonomies` is needed.
    pub(super) needs_taxonomies: bool,
}

fn texts(map: Option<HashMap<String, RawText>>) -> HashMap<String, String> {
    map.into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k, v.text?)))
        .collect()
}

fn component(raw: RawComponent) -> Component {
    let rules = raw
        .rules
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let props = r.properties.unwrap_or_default();
            let mut cwes = props.tags.cwes;
            for n in props.cwe.cwes {
                if !cwes.contains(&n) {
                    cwes.push(n);
                }
            }
            let cves = props.tags.cves;
            let title = r
                .short_description
                .and_then(|d| d.text)
                .filter(|t| !t.trim().is_empty())
                .or(r.name.clone().filter(|n| !n.trim().is_empty()))
                .map(|t| title_from(&t));
            RuleInfo {
                id: r.id.unwrap_or_default(),
                title,
                default_level: r.default_configuration.and_then(|c| c.level),
                score: props.security_severity.0,
                cwe_text: cwe_text(&cwes),
                cwes,
                cves,
                help_uri: r.help_uri,
                message_strings: texts(r.message_strings),
                taxa: r
                    .relationships
                    .into_iter()
                    .flatten()
                    .filter_map(|rel| rel.target)
                    .collect(),
            }
        })
        .collect();
    Component {
        name: raw.name,
        guid: raw.guid,
        rules,
        messages: texts(raw.global_message_strings),
    }
}

/// "CWE-79,CWE-89", first occurrence order, no repeats.
pub(crate) fn cwe_text(nums: &[u32]) -> Option<String> {
    let mut out = String::new();
    for (i, n) in nums.iter().enumerate() {
        if nums[..i].contains(n) {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str("CWE-");
        out.push_str(&n.to_string());
    }
    (!out.is_empty()).then_some(out)
}

pub(super) fn needs_taxonomy(r: &DescriptorRef) -> bool {
    r.tool_component
        .as_ref()
        .is_some_and(|c| c.name.is_none() && (c.index.is_some() || c.guid.is_some()))
}

impl Tool {
    pub fn from_raw(raw: RawTool) -> Result<Tool, String> {
        let driver = raw
            .driver
            .ok_or("the run's tool has no \"driver\" (SARIF 2.1.0 requires tool.driver; older SARIF versions are not supported)")?;
        let name = driver
            .name
            .clone()
            .ok_or("the run's tool.driver has no \"name\"")?;
        let version = driver.version.clone().or(driver.semantic_version.clone());
        let mut components = vec![component(driver)];
        components.extend(raw.extensions.into_iter().flatten().map(component));
        let mut by_id = HashMap::new();
        for (c, comp) in components.iter().enumerate() {
            for (i, rule) in comp.rules.iter().enumerate() {
                // The driver's rule wins over an extension's with the same id.
                by_id.entry(rule.id.clone()).or_insert((c, i));
            }
        }
        let needs_taxonomies = components
            .iter()
            .flat_map(|c| &c.rules)
            .flat_map(|r| &r.taxa)
            .any(needs_taxonomy);
        Ok(Tool {
            name,
            version,
            components,
            by_id,
            needs_taxonomies,
        })
    }

    fn component_of(&self, raw: &RawResult) -> usize {
        let Some(tc) = raw.rule.as_ref().and_then(|r| r.tool_component.as_ref()) else {
            return 0;
        };
        if let Some(i) = tc.index.and_then(|i| usize::try_from(i).ok())
            && i + 1 < self.components.len()
        {
            return i + 1;
        }
        self.components
            .iter()
            .position(|c| {
                (tc.guid.is_some()
                    && c.guid.as_ref().map(|g| g.to_ascii_lowercase())
                        == tc.guid.as_ref().map(|g| g.to_ascii_lowercase()))
                    || (tc.name.is_some() && c.name == tc.name)
            })
            .unwrap_or(0)
    }

    /// The rule a result refers to: by index (`rule.index`, else `ruleIndex`) in its component
    /// when that rule's id agrees with the result's, else by id and then by the id's
    /// hierarchical parents ("a/b/c" -> "a/b" -> "a"), else by index after all.
    pub(super) fn lookup(&self, raw: &RawResult) -> (usize, Option<&RuleInfo>) {
        let c = self.component_of(raw);
        let by_index = raw
            .rule
            .as_ref()
            .and_then(|r| r.index)
            .or(raw.rule_index)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.components[c].rules.get(i));
        let Some(full_id) = raw
            .rule_id
            .as_deref()
            .or(raw.rule.as_ref().and_then(|r| r.id.as_deref()))
        else {
            return (c, by_index);
        };
        if let Some(rule) = by_index
            && (rule.id == full_id
                || full_id
                    .strip_prefix(rule.id.as_str())
                    .is_some_and(|rest| rest.starts_with('/')))
        {
            return (c, Some(rule));
        }
        let mut id = full_id;
        loop {
            if let Some(&(found, i)) = self.by_id.get(id) {
                return (found, Some(&self.components[found].rules[i]));
            }
            match id.rfind('/') {
                Some(p) => id = &id[..p],
                None => return (c, by_index),
            }
        }
    }
}
