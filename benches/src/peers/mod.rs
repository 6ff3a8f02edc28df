//! `ram`'s peers, Cedar and casbin, loaded with the W-policies workload exactly as
//! `../shared/bench/workloads.md` encodes it, and [`Engines`]: the three engines side by side
//! for one (filler, statement count), with [`Engines::verify`] checking that all three reach
//! the expected decision for each request before anything is timed.

pub mod casbin;
pub mod cedar;

use std::collections::BTreeSet;

use cedar_policy::Decision as CedarDecision;
use ram_core::PolicySet;

use crate::workload::{Filler, Kind, Requests, ram_context, ram_set, ram_statements, statements};

pub use self::casbin::Casbin;
pub use self::cedar::Cedar;

/// The three engines loaded with one workload.
pub struct Engines {
    /// The filler shape.
    pub filler: Filler,
    /// Statements in all (what the peers hold).
    pub total: usize,
    /// Alice's `ram` set (R1–R10 only for F1; see [`crate::workload`]).
    pub ram: PolicySet,
    /// One Cedar policy per statement.
    pub cedar: Cedar,
    /// One casbin `p` row per statement.
    pub casbin: Casbin,
}

impl Engines {
    /// Builds the three engines for `total` statements of which `total - 10` are filler.
    pub fn new(filler: Filler, total: usize) -> Engines {
        let list = statements(filler, total);
        let engines = Engines {
            filler,
            total,
            ram: ram_set(filler, total),
            cedar: Cedar::new(&list),
            casbin: Casbin::new(&list),
        };
        assert_eq!(engines.ram.statement_count(), ram_statements(filler, total));
        assert_eq!(engines.cedar.len(), total);
        assert_eq!(engines.casbin.len(), total);
        engines
    }

    /// Checks every engine's decision on the request type, for the resources at `indices`
    /// (all of them when `None`), and Cedar's reasons (the policies that decided: R1 and R2
    /// for allow, R3 for the explicit deny, none for the implicit deny) and the absence of
    /// evaluation errors.
    ///
    /// # Errors
    ///
    /// A description of the first wrong decision.
    pub fn verify(&self, requests: &Requests, indices: Option<&[usize]>) -> Result<(), String> {
        let kind = requests.kind;
        let all: Vec<usize> = (0..requests.resources.len()).collect();
        let indices = indices.unwrap_or(&all);
        let context = ram_context();
        let ram_requests = requests.ram(&context);
        let where_ = |engine: &str, resource: &str| {
            format!(
                "{engine}, {} filler, {} statements, {kind} ({} on {resource})",
                self.filler, self.total, requests.action
            )
        };
        let expected_reasons: BTreeSet<&str> = match kind {
            Kind::Allow => ["R1", "R2"].into(),
            Kind::ExplicitDeny => ["R3"].into(),
            Kind::ImplicitDeny => BTreeSet::new(),
        };
        for &i in indices {
            let i = i & requests.mask();
            let resource = requests.resources[i].as_str();
            let got = self.ram.decide(&ram_requests[i]);
            if got != kind.expected() {
                return Err(format!(
                    "{}: ram decided {got:?}, expected {:?}",
                    where_("ram", resource),
                    kind.expected()
                ));
            }

            let response = self.cedar.is_authorized(&self.cedar.request(requests.action, resource));
            let want = if kind.allowed() {
                CedarDecision::Allow
            } else {
                CedarDecision::Deny
            };
            let reasons: BTreeSet<String> = response.diagnostics().reason().map(ToString::to_string).collect();
            let reasons: BTreeSet<&str> = reasons.iter().map(String::as_str).collect();
            let errors: Vec<String> = response.diagnostics().errors().map(ToString::to_string).collect();
            if response.decision() != want || reasons != expected_reasons || !errors.is_empty() {
                return Err(format!(
                    "{}: Cedar decided {:?} because of {reasons:?} (errors {errors:?}), \
                     expected {want:?} because of {expected_reasons:?}",
                    where_("Cedar", resource),
                    response.decision(),
                ));
            }

            let allowed = self.casbin.allowed(&Casbin::request(requests.action, resource));
            if allowed != kind.allowed() {
                return Err(format!(
                    "{}: casbin decided allowed = {allowed}, expected {}",
                    where_("casbin", resource),
                    kind.allowed()
                ));
            }
        }
        Ok(())
    }
}

/// A spread of resource indices to verify before timing: the first, the last and every 64th.
pub fn sample_indices() -> Vec<usize> {
    let mut v: Vec<usize> = (0..crate::RESOURCES).step_by(64).collect();
    v.push(crate::RESOURCES - 1);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_engines_agree_on_every_resource() {
        for filler in Filler::ALL {
            for total in [10, 100] {
                let engines = Engines::new(filler, total);
                for kind in Kind::ALL {
                    engines.verify(&Requests::new(kind), None).unwrap();
                }
            }
        }
    }

    #[test]
    fn a_wrong_decision_is_reported() {
        // Drop R3 from the peers' statements: the explicit deny becomes an allow (R2) and
        // verification must say so.
        let mut list = statements(Filler::F2, 10);
        list.remove(2);
        let engines = Engines {
            filler: Filler::F2,
            total: 10,
            ram: ram_set(Filler::F2, 10),
            cedar: Cedar::new(&list),
            casbin: Casbin::new(&list),
        };
        let err = engines.verify(&Requests::new(Kind::ExplicitDeny), None).unwrap_err();
        assert!(err.starts_with("Cedar, F2 filler"), "{err}");
    }
}
