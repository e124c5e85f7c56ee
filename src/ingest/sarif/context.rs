//! What a run says about its results (rules, artifacts, base ids, taxonomies, invocations) and
//! the resolution of one raw result into an `ImportedFinding` against it.

use super::paths::{PathResolver, is_conventional_root, repo_hint};
use super::raw::{
    DescriptorRef, FpMap, Kind, Level, RawArtifact, RawArtifactLocation, RawInvocation, RawMessage,
    RawProps, RawResult, RawTaxonomy, RawTool, RawVersionControl,
};
use super::text::{collect_cves, collect_cwes, compact_json, format_message, title_from};
use super::tool::{Component, RuleInfo, Tool, cwe_text, needs_taxonomy};
use crate::ingest::fingerprint::{FingerprintInput, RunFingerprinter};
use crate::ingest::{ImportedFinding, RunInfo};
use crate::model::Severity;
use std::collections::HashMap;

#[derive(Debug, Default)]
struct Taxonomy {
    is_cwe: bool,
    guid: Option<String>,
    taxa: Vec<Option<String>>,
}

/// Everything known about the current run so far.
#[derive(Debug)]
pub(super) struct RunContext {
    pub tool: Option<Tool>,
    artifacts: Vec<RawArtifactLocation>,
    artifacts_seen: bool,
    base_ids_seen: bool,
    taxonomies: Vec<Taxonomy>,
    taxonomies_seen: bool,
    paths: PathResolver,
    invocations: usize,
    invocations_seen: bool,
    version_control_seen: bool,
    started_at: Option<String>,
    repo_hint: Option<String>,
    commit_hint: Option<String>,
    pub execution_successful: bool,
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext {
            tool: None,
            artifacts: Vec::new(),
            artifacts_seen: false,
            base_ids_seen: false,
            taxonomies: Vec::new(),
            taxonomies_seen: false,
            paths: PathResolver::default(),
            invocations: 0,
            invocations_seen: false,
            version_control_seen: false,
            started_at: None,
            repo_hint: None,
            commit_hint: None,
            execution_successful: true,
        }
    }
}

fn is_cwe_name(name: &str) -> bool {
    name.trim()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("cwe"))
}

impl RunContext {
    pub fn set_tool(&mut self, raw: RawTool) -> Result<(), String> {
        self.tool = Some(Tool::from_raw(raw)?);
        Ok(())
    }

    pub fn add_artifact(&mut self, raw: RawArtifact) {
        self.artifacts.push(raw.location.unwrap_or_default());
    }

    pub fn artifacts_done(&mut self) {
        self.artifacts_seen = true;
    }

    pub fn set_base_ids(&mut self, ids: HashMap<String, RawArtifactLocation>) {
        self.paths.set_base_ids(ids);
        self.base_ids_seen = true;
    }

    pub fn add_invocation(&mut self, inv: RawInvocation) {
        if inv.execution_successful == Some(false) {
            self.execution_successful = false;
        }
        if self.invocations == 0 {
            self.started_at = inv.start_time_utc.or(inv.end_time_utc);
        }
        if let Some(wd) = &inv.working_directory {
            self.paths.add_working_directory(wd);
        }
        self.invocations += 1;
    }

    pub fn invocations_done(&mut self) {
        self.invocations_seen = true;
    }

    /// Whether everything `BeginRun` reports has been read (else it may still come later).
    pub fn run_info_complete(&self) -> bool {
        self.tool.is_some() && self.invocations_seen && self.version_control_seen
    }

    pub fn set_version_control(&mut self, vcs: Vec<RawVersionControl>) {
        self.version_control_seen = true;
        if let Some(first) = vcs.into_iter().next() {
            self.repo_hint = first.repository_uri.as_deref().and_then(repo_hint);
            self.commit_hint = first.revision_id;
        }
    }

    pub fn set_taxonomies(&mut self, raw: Vec<RawTaxonomy>) {
        self.taxonomies = raw
            .into_iter()
            .map(|t| Taxonomy {
                is_cwe: t.name.as_deref().is_some_and(is_cwe_name),
                guid: t.guid,
                taxa: t.taxa.into_iter().flatten().map(|x| x.id).collect(),
            })
            .collect();
        self.taxonomies_seen = true;
    }

    pub fn run_info(&self) -> RunInfo {
        RunInfo {
            tool: self
                .tool
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            tool_version: self.tool.as_ref().and_then(|t| t.version.clone()),
            repo_hint: self.repo_hint.clone(),
            commit_hint: self.commit_hint.clone(),
            started_at: self.started_at.clone(),
        }
    }

    /// Whether `raw` can be resolved now, or must wait for context later in the run: the tool,
    /// an artifact it refers to by index only, a base id that is not a conventional root name,
    /// or taxonomies it refers to by index only.
    pub fn ready(&self, raw: &RawResult) -> bool {
        let Some(tool) = &self.tool else {
            return false;
        };
        if !self.taxonomies_seen
            && (tool.needs_taxonomies || raw.taxa.iter().flatten().any(needs_taxonomy))
        {
            return false;
        }
        let Some(al) = raw.artifact_location() else {
            return true;
        };
        let base = match (&al.uri, al.index) {
            (Some(_), _) => al.uri_base_id.as_deref(),
            (None, Some(i)) if i >= 0 => {
                if !self.artifacts_seen {
                    return false;
                }
                match self.artifacts.get(i as usize) {
                    Some(a) if a.uri.is_some() => {
                        al.uri_base_id.as_deref().or(a.uri_base_id.as_deref())
                    }
                    _ => return true,
                }
            }
            _ => return true,
        };
        match base {
            Some(id) => self.base_ids_seen || is_conventional_root(id),
            None => true,
        }
    }

    fn resolve_path(&self, al: &RawArtifactLocation) -> Option<String> {
        match (&al.uri, al.index) {
            (Some(u), _) => self.paths.resolve(u, al.uri_base_id.as_deref()),
            (None, Some(i)) if i >= 0 => {
                let a = self.artifacts.get(i as usize)?;
                let base = al.uri_base_id.as_deref().or(a.uri_base_id.as_deref());
                self.paths.resolve(a.uri.as_deref()?, base)
            }
            _ => None,
        }
    }

    /// A taxon reference that names a CWE: by its taxonomy (name "CWE..." given inline or found
    /// through the taxonomy index or guid), or by an id of the form "CWE-n".
    fn taxon_cwe(&self, r: &DescriptorRef, out: &mut Vec<u32>) {
        let taxonomy = r.tool_component.as_ref().and_then(|tc| {
            tc.index
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.taxonomies.get(i))
                .or_else(|| {
                    let guid = tc.guid.as_ref()?;
                    self.taxonomies.iter().find(|t| {
                        t.guid
                            .as_ref()
                            .is_some_and(|g| g.eq_ignore_ascii_case(guid))
                    })
                })
        });
        let named_cwe = r
            .tool_component
            .as_ref()
            .and_then(|tc| tc.name.as_deref())
            .is_some_and(is_cwe_name);
        let id = r.id.clone().or_else(|| {
            let i = usize::try_from(r.index?).ok()?;
            taxonomy?.taxa.get(i)?.clone()
        });
        let Some(id) = id else { return };
        if (named_cwe || taxonomy.is_some_and(|t| t.is_cwe))
            && let Ok(n) = id.trim().parse::<u32>()
        {
            if n > 0 && !out.contains(&n) {
                out.push(n);
            }
            return;
        }
        collect_cwes(&id, out);
    }

    /// Resolves one result. Never fails: what is missing stays empty.
    pub fn build(&self, raw: Box<RawResult>, fps: &mut RunFingerprinter) -> ImportedFinding {
        let (comp, rule) = match &self.tool {
            Some(t) => t.lookup(&raw),
            None => (0, None),
        };
        let component = self.tool.as_ref().and_then(|t| t.components.get(comp));
        let driver = self.tool.as_ref().and_then(|t| t.components.first());
        let RawResult {
            rule_id,
            rule: rule_ref,
            kind,
            level,
            message,
            locations,
            fingerprints,
            partial_fingerprints,
            properties,
            suppressions,
            baseline_state,
            fixes,
            taxa,
            ..
        } = *raw;
        let rule_id = rule_id
            .or(rule_ref.and_then(|r| r.id))
            .or(rule.map(|r| r.id.clone()))
            .unwrap_or_default();

        let message = message_text(message, rule, component, driver);
        let title = rule
            .and_then(|r| r.title.clone())
            .or_else(|| Some(title_from(&message)).filter(|t| !t.is_empty()))
            .unwrap_or_else(|| rule_id.clone());

        let props = properties.unwrap_or_default();
        let severity = severity(&props, kind, level, rule);
        let score = props
            .security_severity
            .0
            .or(rule.and_then(|r| r.score))
            .filter(|s| s.is_finite() && (0.0..=10.0).contains(s));

        let own_cwe_sources = !props.tags.cwes.is_empty()
            || !props.cwe.cwes.is_empty()
            || taxa.as_ref().is_some_and(|t| !t.is_empty());
        let cwe = match rule {
            Some(r) if !own_cwe_sources && r.taxa.is_empty() => r.cwe_text.clone(),
            None if !own_cwe_sources => None,
            _ => {
                let mut cwes = Vec::new();
                if let Some(r) = rule {
                    cwes.extend_from_slice(&r.cwes);
                    for t in &r.taxa {
                        self.taxon_cwe(t, &mut cwes);
                    }
                }
                cwes.extend_from_slice(&props.tags.cwes);
                cwes.extend_from_slice(&props.cwe.cwes);
                for t in taxa.iter().flatten() {
                    self.taxon_cwe(t, &mut cwes);
                }
                cwe_text(&cwes)
            }
        };

        let mut cves = Vec::new();
        collect_cves(&rule_id, &mut cves);
        if let Some(r) = rule {
            for c in &r.cves {
                if !cves.contains(c) {
                    cves.push(c.clone());
                }
            }
        }
        for c in &props.tags.cves {
            if !cves.contains(c) {
                cves.push(c.clone());
            }
        }
        collect_cves(&message, &mut cves);
        let cve = (!cves.is_empty()).then(|| cves.join(","));

        let physical = locations
            .and_then(|l| l.0)
            .and_then(|l| l.physical_location);
        let (mut path, mut start_line, mut end_line, mut snippet, mut context) =
            (None, None, None, None, None);
        if let Some(p) = physical {
            path = p
                .artifact_location
                .as_ref()
                .and_then(|al| self.resolve_path(al));
            if let Some(region) = p.region {
                start_line = region.start_line.filter(|&l| l >= 1);
                end_line = region.end_line.filter(|&l| l >= 1).or(start_line);
                snippet = region.snippet.and_then(|s| s.text);
            }
            context = p
                .context_region
                .and_then(|r| r.snippet)
                .and_then(|s| s.text);
        }
        let snippet = snippet.or(context);

        fn entries(m: &Option<FpMap>) -> &[(String, String)] {
            m.as_ref().map_or(&[], |m| &m.0[..])
        }
        let (fingerprint, _) = fps.fingerprint(&FingerprintInput {
            rule: &rule_id,
            path: path.as_deref().unwrap_or(""),
            context: snippet.as_deref().unwrap_or(&message),
            fingerprints: entries(&fingerprints),
            partial_fingerprints: entries(&partial_fingerprints),
        });

        let suppressed = suppressions.iter().flatten().any(|s| {
            s.status.is_none()
                || s.status
                    .as_deref()
                    .is_some_and(|st| st.eq_ignore_ascii_case("accepted"))
        });
        let fixes = fixes
            .map(|f| compact_json(f.get()))
            .filter(|f| f != "[]" && f != "null");

        ImportedFinding {
            fingerprint,
            rule: rule_id,
            title,
            message,
            severity,
            score,
            cwe,
            cve,
            path,
            start_line,
            end_line,
            snippet,
            help_uri: rule.and_then(|r| r.help_uri.clone()),
            suppressed,
            baseline_state,
            fixes,
        }
    }
}

/// `security-severity` (result, then rule) wins; then `level`, where an absent level means
/// "none" for a result whose kind is not "fail", else the rule's default, else "warning".
fn severity(
    props: &RawProps,
    kind: Option<Kind>,
    level: Option<Level>,
    rule: Option<&RuleInfo>,
) -> Severity {
    if let Some(score) = props.security_severity.0.or(rule.and_then(|r| r.score)) {
        return Severity::from_score(score);
    }
    let level = level.and_then(Level::severity).or_else(|| match kind {
        Some(Kind::Other) => Some(Severity::Info),
        _ => rule.and_then(|r| r.default_level).and_then(Level::severity),
    });
    level.unwrap_or(Severity::Medium)
}

/// `message.text` (else markdown); else `message.id` looked up in the rule's messageStrings,
/// then the component's and the driver's globalMessageStrings; placeholders filled from
/// `arguments`.
fn message_text(
    message: Option<RawMessage>,
    rule: Option<&RuleInfo>,
    component: Option<&Component>,
    driver: Option<&Component>,
) -> String {
    let Some(m) = message else {
        return String::new();
    };
    let args = m.arguments.unwrap_or_default();
    if let Some(text) = m.text.or(m.markdown) {
        return if args.is_empty() {
            text
        } else {
            format_message(&text, &args)
        };
    }
    let Some(id) = m.id else {
        return String::new();
    };
    let template = rule
        .and_then(|r| r.message_strings.get(&id))
        .or_else(|| component.and_then(|c| c.messages.get(&id)))
        .or_else(|| driver.and_then(|c| c.messages.get(&id)));
    match template {
        Some(t) => format_message(t, &args),
        None => String::new(),
    }
}
