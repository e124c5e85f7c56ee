//! A seeded generator of realistic SARIF: the demo's history and the benchmarks' large reports
//! come from here, so both exercise the real importer on the same shape of data.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// One rule a generated tool reports.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    pub id: &'static str,
    pub short: &'static str,
    pub level: &'static str,
    pub security_severity: Option<f64>,
    pub cwe: Option<&'static str>,
    /// A line of code that this rule would flag; `{n}` makes each occurrence distinct.
    pub code: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct ToolProfile {
    pub name: &'static str,
    pub version: &'static str,
    pub extension: &'static str,
    /// Dependency scanners report on manifests, not source files.
    pub manifests: &'static [&'static str],
    pub rules: &'static [RuleDef],
}

/// One generated result.
#[derive(Debug, Clone, PartialEq)]
pub struct GenResult {
    pub rule: usize,
    pub path: String,
    pub line: u32,
    pub snippet: String,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Semgrep and ruff write `results` before `tool`; GitHub-style producers the other way.
    pub results_first: bool,
    pub started_at: Option<String>,
    pub repository_uri: Option<String>,
    pub revision: Option<String>,
    /// Write `fingerprints` and `partialFingerprints` as GitHub code scanning producers do
    /// (stable per finding: derived from its rule, path and code).
    pub tool_fingerprints: bool,
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Streams a SARIF 2.1.0 log with one run; memory stays flat however many results.
pub fn write_sarif<W: Write>(
    mut w: W,
    tool: &ToolProfile,
    results: impl Iterator<Item = GenResult>,
    opts: &WriteOptions,
) -> io::Result<()> {
    w.write_all(
        b"{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{",
    )?;
    let write_tool = |w: &mut W| -> io::Result<()> {
        write!(
            w,
            "\"tool\":{{\"driver\":{{\"name\":{},\"version\":{},\"rules\":[",
            js(tool.name),
            js(tool.version)
        )?;
        for (i, r) in tool.rules.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            let mut props = format!(
                "\"tags\":[\"security\"{}]",
                r.cwe.map(|c| format!(",{}", js(c))).unwrap_or_default()
            );
            if let Some(s) = r.security_severity {
                props.push_str(&format!(",\"security-severity\":\"{s:.1}\""));
            }
            write!(
                w,
                "{{\"id\":{},\"shortDescription\":{{\"text\":{}}},\"defaultConfiguration\":{{\"level\":{}}},\"helpUri\":\"https://lastmile.invalid/rules/{}\",\"properties\":{{{props}}}}}",
                js(r.id),
                js(r.short),
                js(r.level),
                r.id
            )?;
        }
        w.write_all(b"]}}")
    };
    let write_results = |w: &mut W,
                         results: &mut dyn Iterator<Item = GenResult>|
     -> io::Result<()> {
        w.write_all(b"\"results\":[")?;
        for (i, r) in results.enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            let rule = &tool.rules[r.rule % tool.rules.len()];
            if opts.tool_fingerprints {
                use sha2::Digest;
                let id = sha2::Sha256::digest(format!("{}\0{}\0{}", rule.id, r.path, r.snippet));
                let hexid = hex::encode(id);
                write!(
                    w,
                    "{{\"fingerprints\":{{\"matchBasedId/v1\":\"{hexid}\"}},\"partialFingerprints\":{{\"primaryLocationLineHash\":\"{}:1\"}},",
                    &hexid[..16]
                )?;
            } else {
                w.write_all(b"{")?;
            }
            write!(
                w,
                "\"ruleId\":{},\"ruleIndex\":{},\"message\":{{\"text\":{}}},\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":{},\"uriBaseId\":\"%SRCROOT%\"}},\"region\":{{\"startLine\":{},\"startColumn\":5,\"endLine\":{},\"endColumn\":{},\"snippet\":{{\"text\":{}}}}}}}}}]}}",
                js(rule.id),
                r.rule % tool.rules.len(),
                js(&r.message),
                js(&r.path),
                r.line,
                r.line,
                r.snippet.len() + 5,
                js(&r.snippet)
            )?;
        }
        w.write_all(b"]")
    };
    let mut results = results;
    if opts.results_first {
        write_results(&mut w, &mut results)?;
        w.write_all(b",")?;
        write_tool(&mut w)?;
    } else {
        write_tool(&mut w)?;
        w.write_all(b",")?;
        write_results(&mut w, &mut results)?;
    }
    if let Some(t) = &opts.started_at {
        write!(
            w,
            ",\"invocations\":[{{\"executionSuccessful\":true,\"startTimeUtc\":{}}}]",
            js(t)
        )?;
    }
    if let Some(uri) = &opts.repository_uri {
        write!(
            w,
            ",\"versionControlProvenance\":[{{\"repositoryUri\":{}",
            js(uri)
        )?;
        if let Some(rev) = &opts.revision {
            write!(w, ",\"revisionId\":{}", js(rev))?;
        }
        w.write_all(b"}]")?;
    }
    w.write_all(b"}]}\n")
}

const DIRS: &[&str] = &[
    "src/api",
    "src/api/handlers",
    "src/billing",
    "src/auth",
    "src/core/db",
    "src/workers",
    "src/integrations/stripe",
    "src/admin",
    "lib/util",
    "services/refunds",
    "services/ledger",
    "web/components",
    "web/pages/account",
    "infra/modules/network",
    "scripts",
];
const FILES: &[&str] = &[
    "views", "models", "handlers", "client", "session", "export", "import", "report", "queue",
    "settings", "helpers", "upload", "search", "webhook", "token",
];

/// A path among ~`files` distinct files, stable for a given index.
pub fn path_for(index: u64, files: u64, extension: &str) -> String {
    let i = index % files.max(1);
    let dir = DIRS[(i % DIRS.len() as u64) as usize];
    let file = FILES[((i / DIRS.len() as u64) % FILES.len() as u64) as usize];
    let shard = i / (DIRS.len() * FILES.len()) as u64;
    if shard == 0 {
        format!("{dir}/{file}.{extension}")
    } else {
        format!("{dir}/{file}_{shard}.{extension}")
    }
}

/// Builds result number `n` of a synthetic report: distinct snippets, realistic sizes (~700 bytes
/// of SARIF each), spread over `files` files.
pub fn synthetic_result(tool: &ToolProfile, n: u64, files: u64, rng: &mut ChaCha8Rng) -> GenResult {
    let rule = rng.random_range(0..tool.rules.len());
    let def = &tool.rules[rule];
    let file = rng.random_range(0..files.max(1));
    let path = if tool.manifests.is_empty() {
        path_for(file, files, tool.extension)
    } else {
        let dir = DIRS[(file % DIRS.len() as u64) as usize];
        let manifest =
            tool.manifests[(file / DIRS.len() as u64 % tool.manifests.len() as u64) as usize];
        format!("{dir}/{manifest}")
    };
    let snippet = def.code.replace("{n}", &n.to_string());
    let message = format!(
        "{} Detected in a code path reachable from request handling; untrusted input (item {n}) flows here without validation. Review and apply the recommended fix.",
        def.short
    );
    GenResult {
        rule,
        path,
        line: rng.random_range(1..2000),
        snippet,
        message,
    }
}

/// `count` synthetic results from `seed`: the same seed gives the same report.
pub fn synthetic(
    tool: &'static ToolProfile,
    seed: u64,
    count: u64,
    files: u64,
) -> impl Iterator<Item = GenResult> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(move |n| synthetic_result(tool, n, files, &mut rng))
}

pub const SEMGREP: ToolProfile = ToolProfile {
    manifests: &[],
    name: "Semgrep OSS",
    version: "1.182.0",
    extension: "py",
    rules: &[
        RuleDef {
            id: "python.django.security.injection.sql.sql-injection-using-raw",
            short: "User input flows into a raw SQL query.",
            level: "error",
            security_severity: Some(8.8),
            cwe: Some("CWE-89"),
            code: "    rows = Order.objects.raw(\"SELECT * FROM orders WHERE id = \" + request.GET[\"id_{n}\"])",
        },
        RuleDef {
            id: "python.lang.security.audit.subprocess-shell-true",
            short: "subprocess call with shell=True.",
            level: "error",
            security_severity: Some(7.5),
            cwe: Some("CWE-78"),
            code: "    subprocess.run(f\"convert {{upload_{n}.name}} out.png\", shell=True)",
        },
        RuleDef {
            id: "python.flask.security.xss.audit.direct-use-of-jinja2",
            short: "Direct use of jinja2 can lead to XSS.",
            level: "warning",
            security_severity: Some(6.1),
            cwe: Some("CWE-79"),
            code: "    return jinja2.Template(page_{n}).render(name=request.args.get(\"name\"))",
        },
        RuleDef {
            id: "python.lang.security.deserialization.avoid-pickle",
            short: "Avoid pickle on untrusted data.",
            level: "warning",
            security_severity: Some(8.1),
            cwe: Some("CWE-502"),
            code: "    state_{n} = pickle.loads(base64.b64decode(request.cookies[\"state\"]))",
        },
        RuleDef {
            id: "python.requests.security.disabled-cert-validation",
            short: "Certificate validation is disabled.",
            level: "warning",
            security_severity: Some(5.3),
            cwe: Some("CWE-295"),
            code: "    resp_{n} = requests.get(partner_url, verify=False, timeout=5)",
        },
        RuleDef {
            id: "python.lang.best-practice.logging-sensitive-data",
            short: "Sensitive data written to logs.",
            level: "note",
            security_severity: Some(3.1),
            cwe: Some("CWE-532"),
            code: "    log.info(\"card accepted %s\", card_number_{n})",
        },
    ],
};

pub const BANDIT: ToolProfile = ToolProfile {
    manifests: &[],
    name: "Bandit",
    version: "1.9.4",
    extension: "py",
    rules: &[
        RuleDef {
            id: "B105",
            short: "Possible hardcoded password.",
            level: "note",
            security_severity: None,
            cwe: Some("CWE-259"),
            code: "API_PASSWORD_{n} = \"hunter2-staging\"",
        },
        RuleDef {
            id: "B301",
            short: "Pickle and modules that wrap it can be unsafe.",
            level: "warning",
            security_severity: None,
            cwe: Some("CWE-502"),
            code: "obj_{n} = pickle.load(open(cache_path, \"rb\"))",
        },
        RuleDef {
            id: "B324",
            short: "Use of weak MD5 hash for security.",
            level: "error",
            security_severity: None,
            cwe: Some("CWE-327"),
            code: "digest_{n} = hashlib.md5(password.encode()).hexdigest()",
        },
        RuleDef {
            id: "B608",
            short: "Possible SQL injection vector through string-based query construction.",
            level: "warning",
            security_severity: None,
            cwe: Some("CWE-89"),
            code: "cur.execute(\"DELETE FROM sessions WHERE user = '%s'\" % user_{n})",
        },
    ],
};

pub const ESLINT: ToolProfile = ToolProfile {
    manifests: &[],
    name: "ESLint",
    version: "8.57.1",
    extension: "js",
    rules: &[
        RuleDef {
            id: "security/detect-object-injection",
            short: "Generic object injection sink.",
            level: "warning",
            security_severity: None,
            cwe: Some("CWE-915"),
            code: "  const value_{n} = config[req.query.key];",
        },
        RuleDef {
            id: "security/detect-non-literal-regexp",
            short: "RegExp built from a non-literal value.",
            level: "warning",
            security_severity: None,
            cwe: Some("CWE-1333"),
            code: "  const re_{n} = new RegExp(req.body.pattern);",
        },
        RuleDef {
            id: "no-eval",
            short: "eval can be harmful.",
            level: "error",
            security_severity: Some(8.0),
            cwe: Some("CWE-95"),
            code: "  const result_{n} = eval(req.body.expression);",
        },
        RuleDef {
            id: "security/detect-unsafe-regex",
            short: "Unsafe regular expression.",
            level: "note",
            security_severity: None,
            cwe: Some("CWE-1333"),
            code: "  const EMAIL_{n} = /^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+$/;",
        },
    ],
};

pub const CHECKOV: ToolProfile = ToolProfile {
    manifests: &[],
    name: "Checkov",
    version: "3.3.30",
    extension: "tf",
    rules: &[
        RuleDef {
            id: "CKV_AWS_20",
            short: "S3 bucket has a public READ ACL.",
            level: "error",
            security_severity: Some(9.1),
            cwe: Some("CWE-284"),
            code: "  acl    = \"public-read\" # bucket_{n}",
        },
        RuleDef {
            id: "CKV_AWS_24",
            short: "Security group allows ingress from 0.0.0.0/0 to port 22.",
            level: "error",
            security_severity: Some(7.2),
            cwe: Some("CWE-284"),
            code: "    cidr_blocks = [\"0.0.0.0/0\"] # ssh_{n}",
        },
        RuleDef {
            id: "CKV_AWS_19",
            short: "S3 bucket is not encrypted at rest.",
            level: "warning",
            security_severity: Some(4.3),
            cwe: Some("CWE-311"),
            code: "resource \"aws_s3_bucket\" \"logs_{n}\" {",
        },
    ],
};

pub const TRIVY: ToolProfile = ToolProfile {
    manifests: &["requirements.txt", "poetry.lock", "go.sum", "pom.xml"],
    name: "Trivy",
    version: "0.58.1",
    extension: "lock",
    rules: &[
        RuleDef {
            id: "CVE-2024-3651",
            short: "idna: potential DoS via resource consumption.",
            level: "warning",
            security_severity: Some(6.2),
            cwe: Some("CWE-400"),
            code: "idna==3.6 # {n}",
        },
        RuleDef {
            id: "CVE-2023-44487",
            short: "HTTP/2 rapid reset can cause a denial of service.",
            level: "error",
            security_severity: Some(7.5),
            cwe: Some("CWE-400"),
            code: "golang.org/x/net v0.15.0 // {n}",
        },
        RuleDef {
            id: "CVE-2021-44228",
            short: "Log4Shell: JNDI lookup in log messages allows remote code execution.",
            level: "error",
            security_severity: Some(10.0),
            cwe: Some("CWE-502"),
            code: "org.apache.logging.log4j:log4j-core:2.14.1 # {n}",
        },
        RuleDef {
            id: "CVE-2024-24762",
            short: "python-multipart: ReDoS in Content-Type parsing.",
            level: "warning",
            security_severity: Some(5.3),
            cwe: Some("CWE-1333"),
            code: "python-multipart==0.0.6 # {n}",
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_report_and_valid_json() {
        let render = |seed| {
            let mut buf = Vec::new();
            write_sarif(
                &mut buf,
                &SEMGREP,
                synthetic(&SEMGREP, seed, 50, 20),
                &WriteOptions::default(),
            )
            .unwrap();
            buf
        };
        assert_eq!(render(7), render(7));
        assert_ne!(render(7), render(8));
        let v: serde_json::Value = serde_json::from_slice(&render(7)).unwrap();
        assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 50);
        let mut buf = Vec::new();
        let opts = WriteOptions {
            results_first: true,
            started_at: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        write_sarif(&mut buf, &TRIVY, synthetic(&TRIVY, 1, 3, 2), &opts).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["runs"][0]["tool"]["driver"]["name"], "Trivy");
    }

    #[test]
    fn results_are_about_seven_hundred_bytes() {
        let mut buf = Vec::new();
        write_sarif(
            &mut buf,
            &SEMGREP,
            synthetic(&SEMGREP, 1, 2000, 5000),
            &WriteOptions::default(),
        )
        .unwrap();
        let per = buf.len() / 2000;
        assert!((500..900).contains(&per), "{per} bytes per result");
    }
}
