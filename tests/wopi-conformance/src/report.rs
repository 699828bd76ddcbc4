//! Results of a run and their text rendering.

use std::fmt::Write as _;

use crate::model::Category;

/// Result of every selected test case, in run order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per test case.
    pub cases: Vec<CaseResult>,
}

/// Result of one test case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Group name.
    pub group: String,
    /// Test case name.
    pub name: String,
    /// Test case category.
    pub category: Category,
    /// Pass, fail or skip.
    pub outcome: Outcome,
    /// The requests sent for the case itself (prerequisites not included), cleanup included.
    pub requests: Vec<RequestLog>,
}

/// How a test case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every request passed its validators.
    Pass,
    /// A request failed validation (or could not be sent); later requests were not sent.
    Fail {
        /// 0-based index of the failing request in the case's `<Requests>`.
        request_index: usize,
        /// Request name and validation errors.
        reason: String,
    },
    /// Not run: prerequisites failed, or the case needs something this runner does not
    /// implement, or it belongs to a delay group that was not enabled.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One request sent during a test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLog {
    /// Request element name.
    pub name: String,
    /// True for `<CleanupRequests>` entries (their results are ignored).
    pub cleanup: bool,
    /// `GET` or `POST`.
    pub method: String,
    /// URL sent (contains the access token).
    pub url: String,
    /// Response status, `None` when no response was received.
    pub status: Option<u16>,
    /// Validation errors (always empty for cleanup requests).
    pub errors: Vec<String>,
}

/// Pass / fail / skip counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed cases.
    pub passed: usize,
    /// Failed cases.
    pub failed: usize,
    /// Skipped cases.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail { .. } => self.failed += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }

    /// Number of cases counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

impl Report {
    /// Counts per group, in the order groups were run.
    pub fn group_counts(&self) -> Vec<(String, Counts)> {
        let mut groups: Vec<(String, Counts)> = Vec::new();
        for case in &self.cases {
            let index = match groups.iter().position(|(g, _)| *g == case.group) {
                Some(index) => index,
                None => {
                    groups.push((case.group.clone(), Counts::default()));
                    groups.len() - 1
                }
            };
            groups[index].1.add(&case.outcome);
        }
        groups
    }

    /// Counts over all cases.
    pub fn totals(&self) -> Counts {
        let mut counts = Counts::default();
        for case in &self.cases {
            counts.add(&case.outcome);
        }
        counts
    }

    /// True when any case failed.
    pub fn has_failures(&self) -> bool {
        self.cases
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail { .. }))
    }

    /// True when any case was skipped.
    pub fn has_skips(&self) -> bool {
        self.cases
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Skipped { .. }))
    }

    /// Result of a case by group and name.
    pub fn case(&self, group: &str, name: &str) -> Option<&CaseResult> {
        self.cases
            .iter()
            .find(|c| c.group == group && c.name == name)
    }

    /// The report as text: one line per case, then a per-group summary table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let width = self
            .cases
            .iter()
            .map(|c| c.group.len() + c.name.len() + 3)
            .max()
            .unwrap_or(10)
            .min(90);
        let _ = writeln!(out, "{:<6}  {:<width$}  DETAIL", "RESULT", "GROUP / CASE");
        for case in &self.cases {
            let label = format!("{} / {}", case.group, case.name);
            let (status, detail) = match &case.outcome {
                Outcome::Pass => ("PASS", String::new()),
                Outcome::Fail {
                    request_index,
                    reason,
                } => ("FAIL", format!("request[{request_index}] {reason}")),
                Outcome::Skipped { reason } => ("SKIP", reason.clone()),
            };
            let _ = writeln!(out, "{status:<6}  {label:<width$}  {}", one_line(&detail));
        }
        let group_width = self
            .cases
            .iter()
            .map(|c| c.group.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<group_width$}  {:>5}  {:>5}  {:>5}  {:>5}",
            "GROUP", "PASS", "FAIL", "SKIP", "TOTAL"
        );
        for (group, counts) in self.group_counts() {
            let _ = writeln!(
                out,
                "{group:<group_width$}  {:>5}  {:>5}  {:>5}  {:>5}",
                counts.passed,
                counts.failed,
                counts.skipped,
                counts.total()
            );
        }
        let totals = self.totals();
        let _ = writeln!(
            out,
            "{:<group_width$}  {:>5}  {:>5}  {:>5}  {:>5}",
            "TOTAL",
            totals.passed,
            totals.failed,
            totals.skipped,
            totals.total()
        );
        out
    }

    /// Prints [`Self::render`] to stdout.
    pub fn print(&self) {
        print!("{}", self.render());
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(group: &str, name: &str, outcome: Outcome) -> CaseResult {
        CaseResult {
            group: group.into(),
            name: name.into(),
            category: Category::WopiCore,
            outcome,
            requests: vec![],
        }
    }

    #[test]
    fn counts_and_rendering() {
        let report = Report {
            cases: vec![
                case("A", "one", Outcome::Pass),
                case(
                    "A",
                    "two",
                    Outcome::Fail {
                        request_index: 1,
                        reason: "Lock: Incorrect\nStatusCode".into(),
                    },
                ),
                case(
                    "B",
                    "three",
                    Outcome::Skipped {
                        reason: "Prerequisites failed".into(),
                    },
                ),
            ],
        };
        assert!(report.has_failures());
        assert!(report.has_skips());
        assert_eq!(
            report.totals(),
            Counts {
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        let groups = report.group_counts();
        assert_eq!(
            groups[0],
            (
                "A".to_string(),
                Counts {
                    passed: 1,
                    failed: 1,
                    skipped: 0
                }
            )
        );
        assert_eq!(
            groups[1],
            (
                "B".to_string(),
                Counts {
                    passed: 0,
                    failed: 0,
                    skipped: 1
                }
            )
        );
        let text = report.render();
        assert!(text.contains("PASS    A / one"), "{text}");
        assert!(
            text.contains("request[1] Lock: Incorrect StatusCode"),
            "{text}"
        );
        assert!(text.contains("SKIP    B / three"), "{text}");
        assert!(
            text.lines().last().is_some_and(|l| l.starts_with("TOTAL")),
            "{text}"
        );
        assert!(!Report::default().has_failures());
    }
}
