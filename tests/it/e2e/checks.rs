//! What every visited page must pass: axe-core (WCAG 2.2 A/AA and best practices), the Nu HTML
//! Checker (one run over a journey's saved pages), and on the phone the thumb rules (targets at
//! least 44 CSS px high, labels above their fields, no sideways scrolling).

use std::path::PathBuf;
use std::process::Command;

use fantoccini::Client;
use serde::Deserialize;
use serde_json::Value;

use super::harness::Tools;

/// The axe-core tags we hold every page to.
const AXE_TAGS: &str =
    r#"["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]"#;

#[derive(Deserialize)]
struct AxeViolation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<AxeNode>,
}

#[derive(Deserialize)]
struct AxeNode {
    target: Vec<Value>,
    #[serde(rename = "failureSummary", default)]
    failure_summary: String,
}

/// Injects axe-core into the current page and returns one line per violation.
pub async fn axe(c: &Client, tools: &Tools) -> Vec<String> {
    // WebDriver scripts run outside the page's Content-Security-Policy, so the injection works on
    // pages that allow only their own scripts.
    c.execute(&format!("{}\nreturn true;", tools.axe), vec![])
        .await
        .expect("inject axe-core");
    let script = format!(
        r#"const done = arguments[arguments.length - 1];
        axe.run(document, {{ runOnly: {{ type: "tag", values: {AXE_TAGS} }}, resultTypes: ["violations"] }})
          .then(r => done(JSON.stringify(r.violations)), e => done("error: " + e));"#
    );
    let answer = c
        .execute_async(&script, vec![])
        .await
        .expect("run axe-core");
    let text = answer.as_str().unwrap_or_default();
    let violations: Vec<AxeViolation> =
        serde_json::from_str(text).unwrap_or_else(|_| panic!("axe-core did not run: {text}"));
    violations
        .into_iter()
        .map(|v| {
            let nodes: Vec<String> = v
                .nodes
                .iter()
                .take(4)
                .map(|n| {
                    let target = n
                        .target
                        .iter()
                        .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let why = n.failure_summary.replace('\n', " ");
                    format!("{target} [{why}]")
                })
                .collect();
            format!(
                "axe {} ({}): {} — {}",
                v.id,
                v.impact.unwrap_or_default(),
                v.help,
                nodes.join("; ")
            )
        })
        .collect()
}

/// The thumb rules, measured in the page: returns one line per problem.
pub async fn thumb(c: &Client) -> Vec<String> {
    let answer = c
        .execute(THUMB_SCRIPT, vec![])
        .await
        .expect("measure the page");
    serde_json::from_value(answer).expect("a list of problems")
}

const THUMB_SCRIPT: &str = r##"
const problems = [];
const describe = el => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += "#" + el.id;
  else if (el.name) d += "[name=" + el.name + "]";
  const text = (el.textContent || el.value || "").trim().slice(0, 30);
  return text ? d + " «" + text + "»" : d;
};
const shown = el => {
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== "hidden"
    && !el.closest("[aria-hidden=true], [hidden]");
};
const width = window.innerWidth;
const page = document.documentElement.scrollWidth;
if (page > width) {
  const wide = [...document.body.querySelectorAll("*")]
    .filter(el => el.getBoundingClientRect().right > width + 1 && shown(el))
    .slice(0, 3).map(describe);
  problems.push("scrolls sideways: " + page + " px of content on a " + width + " px screen (" + wide.join(", ") + ")");
}
for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
  if (!shown(el)) continue;
  const box = el.type === "checkbox" || el.type === "radio" ? (el.closest("label") || el) : el;
  const height = box.getBoundingClientRect().height;
  if (height < 44) problems.push(describe(el) + " is " + height.toFixed(1) + " px high, less than 44");
  if (el.type === "checkbox" || el.type === "radio") continue;
  const top = el.getBoundingClientRect().top;
  for (const label of el.labels || []) {
    if (!shown(label)) continue;
    if (label.getBoundingClientRect().bottom > top + 1) {
      problems.push("the label «" + label.textContent.trim() + "» is not above " + describe(el));
    }
  }
}
return problems;
"##;

#[derive(Deserialize)]
struct VnuReport {
    messages: Vec<VnuMessage>,
}

#[derive(Deserialize)]
struct VnuMessage {
    #[serde(rename = "type")]
    kind: String,
    url: Option<String>,
    #[serde(rename = "lastLine")]
    last_line: Option<u64>,
    message: String,
    extract: Option<String>,
}

/// Runs the Nu HTML Checker once over `files`; returns one line per error.
pub fn vnu(tools: &Tools, files: &[PathBuf]) -> Vec<String> {
    if files.is_empty() {
        return Vec::new();
    }
    let out = Command::new(&tools.java)
        .arg("-jar")
        .arg(&tools.vnu_jar)
        .args(["--format", "json", "--errors-only", "--exit-zero-always"])
        .args(files)
        .output()
        .expect("run the Nu HTML Checker");
    // The report goes to standard error.
    let report: VnuReport = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "the Nu HTML Checker gave no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    report
        .messages
        .into_iter()
        .filter(|m| m.kind != "info")
        .map(|m| {
            let file = m
                .url
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .unwrap_or("?")
                .to_owned();
            format!(
                "vnu {file}:{}: {} ({})",
                m.last_line.unwrap_or(0),
                m.message,
                m.extract.unwrap_or_default().trim()
            )
        })
        .collect()
}
