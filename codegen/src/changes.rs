//! What a spec edit changes for a crate's users: `cargo xtask changes`.
//!
//! Each spec is compared with its version at a base revision (`git show <rev>:specs/<p>.yaml`; a spec
//! that did not exist there counts as all added). Both versions become an [`Api`] (the operations,
//! parameters, bodies, responses and types the generator emits) and every difference becomes a
//! [`Change`], classified for the Rust API the generator emits:
//!
//! | change | classification | why |
//! | --- | --- | --- |
//! | operation added (generated) | non-breaking | a new `Client` method |
//! | operation removed, `operationId` renamed, or now `x-dam-skip` | **breaking** | the method or its builder is gone |
//! | new optional parameter | non-breaking | a new builder setter |
//! | new required parameter, optional -> required | **breaking** | `send()` fails without it |
//! | parameter removed or retyped (a path parameter renamed is removed + added) | **breaking** | the setter is gone or takes another type |
//! | request or success body added, removed or retyped | **breaking** (a new optional request body: non-breaking) | `body(..)` / `send()`'s type changed |
//! | new optional field in a model | non-breaking, **flagged** | builders and readers are unaffected; struct literals break |
//! | new required field, field removed or retyped | **breaking** | |
//! | new enum value | non-breaking | enums are open (`Unknown(String)`, `#[non_exhaustive]`) |
//! | enum value removed, variant renamed (`x-enum-varnames`) | **breaking** | the variant is gone |
//! | type added / removed / changes kind | non-breaking / **breaking** / **breaking** | |
//! | method or path, join separator (`x-dam-join`), a parameter's wire name, success statuses, `security: []`, `x-dam-idempotent` | non-breaking (behaviour) | the Rust API is unchanged; the wire or the runtime's handling is not |
//! | documented error statuses | non-breaking, not in the changelog | every error decodes into the runtime's `ErrorBody` |
//!
//! The one judgement call is the new optional field. progenitor's models are exhaustive `pub`
//! structs, so code that builds one with a struct literal stops compiling, and `cargo semver-checks`
//! calls that breaking (`constructible_struct_adds_field`). The policy here: models are built with
//! their builders (`Model::builder()`, `body_map`) and read from responses, and the providers add
//! response fields all the time, so a new optional field is non-breaking but every such change is
//! flagged, and `--semver` lists the resulting disagreement instead of hiding it.
//!
//! `x-dam-type` scalars are the runtime's types: reshaping their documented schema changes nothing;
//! changing the `x-dam-type` retypes every field that uses it. A `#variant` path suffix never reaches
//! the wire and is not compared.
//!
//! Versions: a breaking change needs a major bump, or a minor one before 1.0 (0.1.x -> 0.2.0); any
//! other change needs a patch bump before 1.0 (a minor one after it for additions). The report
//! prints, per crate, every change, the verdict, the version it needs and a Keep-a-Changelog entry.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::api::{Api, Operation, Role, TypeDef};

/// How a change affects users of the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Existing code may stop compiling or start failing.
    Breaking,
    /// New API; existing code keeps working.
    Additive,
    /// The Rust API is unchanged; the wire or the runtime's behaviour is not.
    Behaviour,
}

impl Impact {
    /// `breaking` or `non-breaking`.
    pub fn label(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::Additive | Impact::Behaviour => "non-breaking",
        }
    }
}

/// What the change is about (the report's grouping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    /// A `Client` method and its builder.
    Operation,
    /// A struct, joined list, union or newtype in `types`.
    Model,
    /// An open enum in `types`.
    Enum,
}

impl Area {
    fn label(self) -> &'static str {
        match self {
            Area::Operation => "operation",
            Area::Model => "model",
            Area::Enum => "enum",
        }
    }
}

/// A Keep-a-Changelog section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// `### Added`
    Added,
    /// `### Changed`
    Changed,
    /// `### Removed`
    Removed,
}

/// One difference between the base and the current API.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Operation or type.
    pub area: Area,
    /// `operationId`, or the type name with its role (`Media (response)`).
    pub subject: String,
    /// What changed, in words.
    pub what: String,
    /// Breaking or not.
    pub impact: Impact,
    /// A caveat that the classification alone does not say.
    pub note: Option<String>,
    /// The changelog line, if users should read about it.
    pub changelog: Option<(Section, String)>,
}

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let core = s.trim().split(['-', '+']).next().unwrap_or("");
        let parts: Vec<u64> = core
            .split('.')
            .map(|p| p.parse::<u64>().map_err(|_| format!("not a version: {s:?}")))
            .collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [major, minor, patch] => Ok(Version {
                major: *major,
                minor: *minor,
                patch: *patch,
            }),
            _ => Err(format!("not a version: {s:?}")),
        }
    }
}

/// The release a set of changes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing users can see changed.
    None,
    /// `x.y.z+1`.
    Patch,
    /// `x.y+1.0`.
    Minor,
    /// `x+1.0.0`.
    Major,
}

impl Version {
    /// The bump `changes` need from this version, by semver's rules (0.x: breaking -> minor).
    pub fn needed(self, changes: &[Change]) -> Bump {
        let worst = changes.iter().map(|c| c.impact).min();
        match (worst, self.major) {
            (None, _) => Bump::None,
            (Some(Impact::Breaking), 0) => Bump::Minor,
            (Some(Impact::Breaking), _) => Bump::Major,
            (Some(Impact::Additive), 0) => Bump::Patch,
            (Some(Impact::Additive), _) => Bump::Minor,
            (Some(Impact::Behaviour), _) => Bump::Patch,
        }
    }

    /// This version bumped.
    pub fn bumped(self, bump: Bump) -> Version {
        match bump {
            Bump::None => self,
            Bump::Patch => Version {
                patch: self.patch + 1,
                ..self
            },
            Bump::Minor => Version {
                minor: self.minor + 1,
                patch: 0,
                ..self
            },
            Bump::Major => Version {
                major: self.major + 1,
                minor: 0,
                patch: 0,
            },
        }
    }
}

/// Every difference between two APIs, operations first, then types; each group in name order.
pub fn diff(base: &Api, head: &Api) -> Vec<Change> {
    let mut out = Vec::new();
    let ids: BTreeSet<&String> = base.operations.keys().chain(head.operations.keys()).collect();
    for id in ids {
        match (base.operations.get(id), head.operations.get(id)) {
            (None, Some(h)) => out.push(added_operation(h)),
            (Some(b), None) => out.push(removed_operation(b, head)),
            (Some(b), Some(h)) => operation_changes(b, h, &mut out),
            (None, None) => {}
        }
    }
    let (base_roles, head_roles) = (base.roles(), head.roles());
    let names: BTreeSet<&String> = base.types.keys().chain(head.types.keys()).collect();
    for name in names {
        let role = head_roles
            .get(name.as_str())
            .or_else(|| base_roles.get(name.as_str()))
            .copied()
            .unwrap_or_default();
        type_changes(name, base.types.get(name), head.types.get(name), role, &mut out);
    }
    out
}

fn op_change(id: &str, what: String, impact: Impact, changelog: Option<(Section, String)>) -> Change {
    Change {
        area: Area::Operation,
        subject: id.to_string(),
        what,
        impact,
        note: None,
        changelog,
    }
}

fn added_operation(h: &Operation) -> Change {
    let (m, p, id) = (&h.method, &h.path, &h.id);
    match &h.skipped {
        Some(reason) => op_change(
            id,
            format!("added ({m} {p}), described but not generated (x-dam-skip: {reason})"),
            Impact::Behaviour,
            None,
        ),
        None => op_change(
            id,
            format!("added: `Client::{id}` ({m} {p})"),
            Impact::Additive,
            Some((Section::Added, format!("`Client::{id}` (`{m} {p}`)."))),
        ),
    }
}

fn removed_operation(b: &Operation, head: &Api) -> Change {
    let (m, p, id) = (&b.method, &b.path, &b.id);
    if b.skipped.is_some() {
        return op_change(
            id,
            format!("removed ({m} {p}); it was not generated"),
            Impact::Behaviour,
            None,
        );
    }
    // An operation with the same method and path in the new spec: most likely a renamed operationId.
    let renamed = head
        .operations
        .values()
        .find(|h| h.method == b.method && template(&h.path) == template(&b.path))
        .map(|h| format!(" (renamed to `{}`?)", h.id))
        .unwrap_or_default();
    op_change(
        id,
        format!("removed: `Client::{id}` ({m} {p}){renamed}"),
        Impact::Breaking,
        Some((
            Section::Removed,
            format!("**Breaking:** `Client::{id}` (`{m} {p}`){renamed}."),
        )),
    )
}

fn operation_changes(b: &Operation, h: &Operation, out: &mut Vec<Change>) {
    let id = h.id.as_str();
    let mut push = |what: String, impact: Impact, changelog: Option<(Section, String)>| {
        out.push(op_change(id, what, impact, changelog));
    };
    if b.method != h.method || template(&b.path) != template(&h.path) {
        push(
            format!("now {} {} (was {} {})", h.method, h.path, b.method, b.path),
            Impact::Behaviour,
            Some((
                Section::Changed,
                format!(
                    "`Client::{id}` sends `{} {}` (was `{} {}`).",
                    h.method, h.path, b.method, b.path
                ),
            )),
        );
    }
    match (&b.skipped, &h.skipped) {
        (None, Some(reason)) => {
            push(
                format!(
                    "no longer generated (x-dam-skip: {reason}): `Client::{id}` is gone unless hand-written code provides it"
                ),
                Impact::Breaking,
                Some((
                    Section::Removed,
                    format!("**Breaking:** the generated `Client::{id}` ({reason})."),
                )),
            );
            return;
        }
        (Some(_), None) => {
            push(
                format!("now generated: `Client::{id}` ({} {})", h.method, h.path),
                Impact::Additive,
                Some((
                    Section::Added,
                    format!("`Client::{id}` (`{} {}`), generated.", h.method, h.path),
                )),
            );
            return;
        }
        (Some(_), Some(_)) => return,
        (None, None) => {}
    }
    // Parameters, by setter.
    let setters: BTreeSet<&String> = b.params.keys().chain(h.params.keys()).collect();
    for s in setters {
        match (b.params.get(s), h.params.get(s)) {
            (None, Some(p)) if p.required => push(
                format!(
                    "new required {} parameter `{}` ({}): `send()` fails without it",
                    p.location, p.wire, p.rust_type
                ),
                Impact::Breaking,
                Some((
                    Section::Changed,
                    format!(
                        "**Breaking:** `Client::{id}` needs the {} parameter `{}` (`.{s}(..)`).",
                        p.location, p.wire
                    ),
                )),
            ),
            (None, Some(p)) => push(
                format!("new optional {} parameter `{}` ({})", p.location, p.wire, p.rust_type),
                Impact::Additive,
                Some((
                    Section::Added,
                    format!(
                        "`Client::{id}`: optional {} parameter `{}` (`.{s}(..)`).",
                        p.location, p.wire
                    ),
                )),
            ),
            (Some(p), None) => push(
                format!("{} parameter `{}` removed (`.{s}(..)` is gone)", p.location, p.wire),
                Impact::Breaking,
                Some((
                    Section::Removed,
                    format!(
                        "**Breaking:** `Client::{id}`: the {} parameter `{}` (`.{s}(..)`).",
                        p.location, p.wire
                    ),
                )),
            ),
            (Some(old), Some(new)) => {
                if old.rust_type != new.rust_type {
                    push(
                        format!(
                            "{} parameter `{}` retyped: {} -> {}",
                            new.location, new.wire, old.rust_type, new.rust_type
                        ),
                        Impact::Breaking,
                        Some((
                            Section::Changed,
                            format!(
                                "**Breaking:** `Client::{id}`: `.{s}(..)` takes `{}` (was `{}`).",
                                new.rust_type, old.rust_type
                            ),
                        )),
                    );
                }
                if !old.required && new.required {
                    push(
                        format!(
                            "{} parameter `{}` is now required: `send()` fails without it",
                            new.location, new.wire
                        ),
                        Impact::Breaking,
                        Some((
                            Section::Changed,
                            format!(
                                "**Breaking:** `Client::{id}` needs the {} parameter `{}`.",
                                new.location, new.wire
                            ),
                        )),
                    );
                }
                if old.required && !new.required {
                    push(
                        format!("{} parameter `{}` is now optional", new.location, new.wire),
                        Impact::Behaviour,
                        Some((
                            Section::Changed,
                            format!(
                                "`Client::{id}`: the {} parameter `{}` is optional.",
                                new.location, new.wire
                            ),
                        )),
                    );
                }
                if (&old.wire, &old.location) != (&new.wire, &new.location) {
                    push(
                        format!(
                            "`.{s}(..)` is now sent as {} `{}` (was {} `{}`)",
                            new.location, new.wire, old.location, old.wire
                        ),
                        Impact::Behaviour,
                        Some((
                            Section::Changed,
                            format!(
                                "`Client::{id}`: `.{s}(..)` is sent as {} `{}` (was {} `{}`).",
                                new.location, new.wire, old.location, old.wire
                            ),
                        )),
                    );
                }
            }
            (None, None) => {}
        }
    }
    // Request body.
    match (&b.body, &h.body) {
        (None, Some(body)) if body.required => push(
            format!("new required request body ({}, {})", body.rust_type, body.content_type),
            Impact::Breaking,
            Some((
                Section::Changed,
                format!(
                    "**Breaking:** `Client::{id}` sends a request body (`{}`).",
                    body.rust_type
                ),
            )),
        ),
        (None, Some(body)) => push(
            format!("new optional request body ({}, {})", body.rust_type, body.content_type),
            Impact::Additive,
            Some((
                Section::Added,
                format!("`Client::{id}`: optional request body (`{}`).", body.rust_type),
            )),
        ),
        (Some(body), None) => push(
            format!("request body removed (`.body(..)` took {})", body.rust_type),
            Impact::Breaking,
            Some((
                Section::Removed,
                format!("**Breaking:** `Client::{id}`: the request body (`.body(..)`)."),
            )),
        ),
        (Some(old), Some(new)) => {
            if old.rust_type != new.rust_type {
                push(
                    format!("request body retyped: {} -> {}", old.rust_type, new.rust_type),
                    Impact::Breaking,
                    Some((
                        Section::Changed,
                        format!(
                            "**Breaking:** `Client::{id}`: `.body(..)` takes `{}` (was `{}`).",
                            new.rust_type, old.rust_type
                        ),
                    )),
                );
            }
            if old.content_type != new.content_type {
                push(
                    format!(
                        "request body now sent as {} (was {})",
                        new.content_type, old.content_type
                    ),
                    Impact::Behaviour,
                    Some((
                        Section::Changed,
                        format!(
                            "`Client::{id}` sends its body as `{}` (was `{}`).",
                            new.content_type, old.content_type
                        ),
                    )),
                );
            }
        }
        (None, None) => {}
    }
    // Success body and statuses.
    if b.response != h.response {
        push(
            format!("success body retyped: {} -> {}", b.response, h.response),
            Impact::Breaking,
            Some((
                Section::Changed,
                format!(
                    "**Breaking:** `Client::{id}` returns `ResponseValue<{}>` (was `ResponseValue<{}>`).",
                    h.response, b.response
                ),
            )),
        );
    }
    if b.success != h.success {
        push(
            format!(
                "success statuses {} (were {})",
                h.success.join(", "),
                b.success.join(", ")
            ),
            Impact::Behaviour,
            Some((
                Section::Changed,
                format!(
                    "`Client::{id}`: documented success statuses {} (were {}).",
                    h.success.join(", "),
                    b.success.join(", ")
                ),
            )),
        );
    }
    if b.errors != h.errors {
        push(
            format!(
                "documented error statuses {} (were {}); every error is still `Error::Api`",
                list_or_none(&h.errors),
                list_or_none(&b.errors)
            ),
            Impact::Behaviour,
            None,
        );
    }
    if b.unauthenticated != h.unauthenticated {
        let what = if h.unauthenticated {
            "now called without credentials (`security: []`)"
        } else {
            "now sends credentials"
        };
        push(
            what.to_string(),
            Impact::Behaviour,
            Some((Section::Changed, format!("`Client::{id}` is {what}."))),
        );
    }
    if b.idempotent != h.idempotent {
        let what = if h.idempotent {
            "now retried on 429/503 (`x-dam-idempotent`)"
        } else {
            "no longer retried on 429/503"
        };
        push(
            what.to_string(),
            Impact::Behaviour,
            Some((Section::Changed, format!("`Client::{id}` is {what}."))),
        );
    }
}

/// A path with its parameter names blanked (`/media/{}`): a renamed path parameter is not a new URL.
fn template(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

fn type_changes(name: &str, b: Option<&TypeDef>, h: Option<&TypeDef>, role: Role, out: &mut Vec<Change>) {
    let area = match h.or(b) {
        Some(TypeDef::Enum(_)) => Area::Enum,
        _ => Area::Model,
    };
    let subject = if area == Area::Model {
        format!("{name} ({})", role.label())
    } else {
        name.to_string()
    };
    let mut push = |what: String, impact: Impact, note: Option<String>, changelog: Option<(Section, String)>| {
        out.push(Change {
            area,
            subject: subject.clone(),
            what,
            impact,
            note,
            changelog,
        });
    };
    let (b, h) = match (b, h) {
        (None, Some(h)) => {
            push(
                format!("new {} `types::{name}`", h.kind()),
                Impact::Additive,
                None,
                Some((Section::Added, format!("`types::{name}`."))),
            );
            return;
        }
        (Some(b), None) => {
            push(
                format!("{} `types::{name}` removed", b.kind()),
                Impact::Breaking,
                None,
                Some((Section::Removed, format!("**Breaking:** `types::{name}`."))),
            );
            return;
        }
        (Some(b), Some(h)) => (b, h),
        (None, None) => return,
    };
    match (b, h) {
        (TypeDef::Struct(old), TypeDef::Struct(new)) => {
            let fields: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for f in fields {
                match (old.get(f), new.get(f)) {
                    (None, Some(n)) if n.required => push(
                        format!("new required field `{f}` ({})", n.rust_type),
                        Impact::Breaking,
                        role.input.then(|| format!("`{name}` builders fail until `{f}` is set")),
                        Some((
                            Section::Changed,
                            format!(
                                "**Breaking:** `types::{name}` has the required field `{f}` (`{}`).",
                                n.rust_type
                            ),
                        )),
                    ),
                    (None, Some(n)) => push(
                        format!("new optional field `{f}` ({})", n.rust_type),
                        Impact::Additive,
                        Some(format!(
                            "struct literals of `{name}` must add it (progenitor structs are not #[non_exhaustive]); builders and readers are unaffected"
                        )),
                        Some((Section::Added, format!("`types::{name}::{f}` (`{}`).", n.rust_type))),
                    ),
                    (Some(o), None) => push(
                        format!("field `{f}` removed (was {})", o.rust_type),
                        Impact::Breaking,
                        None,
                        Some((Section::Removed, format!("**Breaking:** `types::{name}::{f}`."))),
                    ),
                    (Some(o), Some(n)) => {
                        if o.rust_type != n.rust_type {
                            push(
                                format!("field `{f}` retyped: {} -> {}", o.rust_type, n.rust_type),
                                Impact::Breaking,
                                None,
                                Some((
                                    Section::Changed,
                                    format!(
                                        "**Breaking:** `types::{name}::{f}` is `{}` (was `{}`).",
                                        n.rust_type, o.rust_type
                                    ),
                                )),
                            );
                        } else if !o.required && n.required {
                            push(
                                format!("field `{f}` is now required ({})", n.rust_type),
                                Impact::Breaking,
                                Some("an answer without it no longer decodes; builders fail until it is set".into()),
                                Some((
                                    Section::Changed,
                                    format!("**Breaking:** `types::{name}::{f}` is required."),
                                )),
                            );
                        } else if o.required && !n.required {
                            push(
                                format!("field `{f}` is now optional ({})", n.rust_type),
                                Impact::Behaviour,
                                None,
                                Some((Section::Changed, format!("`types::{name}::{f}` is optional."))),
                            );
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        (TypeDef::Enum(old), TypeDef::Enum(new)) => {
            for (value, variant) in new {
                match old.iter().find(|(v, _)| v == value) {
                    None => push(
                        format!("new value `{value}` (`{name}::{variant}`); enums are open, so this is not breaking"),
                        Impact::Additive,
                        None,
                        Some((Section::Added, format!("`types::{name}::{variant}` (`{value}`)."))),
                    ),
                    Some((_, was)) if was != variant => push(
                        format!("value `{value}` is now `{name}::{variant}` (was `{name}::{was}`)"),
                        Impact::Breaking,
                        None,
                        Some((
                            Section::Changed,
                            format!("**Breaking:** `{value}` is `types::{name}::{variant}` (was `{was}`)."),
                        )),
                    ),
                    Some(_) => {}
                }
            }
            for (value, variant) in old {
                if !new.iter().any(|(v, _)| v == value) {
                    push(
                        format!(
                            "value `{value}` removed (`{name}::{variant}` is gone; the value now arrives as `Unknown`)"
                        ),
                        Impact::Breaking,
                        None,
                        Some((
                            Section::Removed,
                            format!("**Breaking:** `types::{name}::{variant}` (`{value}`)."),
                        )),
                    );
                }
            }
        }
        (TypeDef::List { item: oi, join: oj }, TypeDef::List { item: ni, join: nj }) => {
            if oi != ni {
                push(
                    format!("items retyped: {oi} -> {ni}"),
                    Impact::Breaking,
                    None,
                    Some((
                        Section::Changed,
                        format!("**Breaking:** `types::{name}` holds `{ni}` (was `{oi}`)."),
                    )),
                );
            }
            if oj != nj {
                let sep = |j: &str| match j {
                    "plus" => "+".to_string(),
                    "comma" => ",".to_string(),
                    other => other.to_string(),
                };
                let (oj, nj) = (sep(oj), sep(nj));
                push(
                    format!("now sent joined with `{nj}` (was `{oj}`)"),
                    Impact::Behaviour,
                    None,
                    Some((
                        Section::Changed,
                        format!("`types::{name}` is sent joined with `{nj}` (was `{oj}`)."),
                    )),
                );
            }
        }
        (TypeDef::OneOf(o), TypeDef::OneOf(n)) if o != n => push(
            format!("variants now ({}) (were ({}))", n.join(" | "), o.join(" | ")),
            Impact::Breaking,
            None,
            Some((
                Section::Changed,
                format!(
                    "**Breaking:** `types::{name}` is one of `{}` (was `{}`).",
                    n.join(" | "),
                    o.join(" | ")
                ),
            )),
        ),
        (TypeDef::Newtype(o), TypeDef::Newtype(n)) if o != n => push(
            format!("now wraps {n} (was {o})"),
            Impact::Breaking,
            None,
            Some((
                Section::Changed,
                format!("**Breaking:** `types::{name}` wraps `{n}` (was `{o}`)."),
            )),
        ),
        (o, n) if o.kind() != n.kind() => push(
            format!("now a {} (was a {})", n.kind(), o.kind()),
            Impact::Breaking,
            None,
            Some((
                Section::Changed,
                format!("**Breaking:** `types::{name}` is a {} (was a {}).", n.kind(), o.kind()),
            )),
        ),
        _ => {}
    }
}

/// One crate's part of the report.
#[derive(Debug, Clone)]
pub struct CrateReport {
    /// The crate's name (`sdk-skyfish`).
    pub crate_name: String,
    /// The spec, relative to the workspace root.
    pub spec: String,
    /// The crate's version at the base revision.
    pub base_version: Version,
    /// The crate's version now.
    pub head_version: Version,
    /// The spec did not exist at the base revision.
    pub new_spec: bool,
    /// Every change.
    pub changes: Vec<Change>,
}

impl CrateReport {
    /// Compares two versions of a spec (`base` is `None` when the spec did not exist).
    pub fn compare(
        crate_name: &str,
        spec: &str,
        base: Option<&str>,
        head: &str,
        base_version: Version,
        head_version: Version,
    ) -> Result<CrateReport, String> {
        let base_api = match base {
            Some(text) => Api::from_text(text).map_err(|e| format!("{spec} at the base revision: {e}"))?,
            None => Api::default(),
        };
        let head_api = Api::from_text(head).map_err(|e| format!("{spec}: {e}"))?;
        Ok(CrateReport {
            crate_name: crate_name.to_string(),
            spec: spec.to_string(),
            base_version,
            head_version,
            new_spec: base.is_none(),
            changes: diff(&base_api, &head_api),
        })
    }

    /// Whether anything breaking changed.
    pub fn breaking(&self) -> bool {
        self.changes.iter().any(|c| c.impact == Impact::Breaking)
    }

    /// The bump the changes need from the base version.
    pub fn bump(&self) -> Bump {
        self.base_version.needed(&self.changes)
    }

    /// The verdict line and every change, one per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let bump = self.bump();
        let target = self.base_version.bumped(bump);
        let new = if self.new_spec { ", new spec" } else { "" };
        let verdict = match bump {
            Bump::None => "no change to the generated API or its wire behaviour; no release needed".to_string(),
            _ => {
                let why = match (bump, self.base_version.major) {
                    (Bump::Minor, 0) => "minor bump: breaking changes before 1.0",
                    (Bump::Major, _) => "major bump",
                    (Bump::Minor, _) => "minor bump: additions",
                    _ => "patch bump",
                };
                let already = if self.head_version >= target {
                    format!("; Cargo.toml already has {}", self.head_version)
                } else {
                    String::new()
                };
                let word = if self.breaking() { "BREAKING" } else { "non-breaking" };
                format!("{word}: needs {} -> {target} ({why}){already}", self.base_version)
            }
        };
        let _ = writeln!(out, "{} ({}{new}): {verdict}", self.crate_name, self.spec);
        let mut changes: Vec<&Change> = self.changes.iter().collect();
        changes.sort_by_key(|c| c.area);
        for c in changes {
            let _ = writeln!(
                out,
                "  {:<13}{} {}: {}",
                c.impact.label(),
                c.area.label(),
                c.subject,
                c.what
            );
            if let Some(n) = &c.note {
                let _ = writeln!(out, "  {:<13}  note: {n}", "");
            }
        }
        out
    }

    /// Keep-a-Changelog sections for the crate's `## [Unreleased]`, or `None` when nothing is worth
    /// a line.
    pub fn changelog(&self) -> Option<String> {
        let mut sections: Vec<(Section, Vec<&str>)> = Vec::new();
        for c in &self.changes {
            let Some((section, line)) = &c.changelog else { continue };
            match sections.iter_mut().find(|(s, _)| s == section) {
                Some((_, lines)) => lines.push(line),
                None => sections.push((*section, vec![line])),
            }
        }
        if sections.is_empty() {
            return None;
        }
        sections.sort_by_key(|(s, _)| *s);
        let mut out = String::new();
        for (section, lines) in sections {
            let _ = writeln!(out, "### {section:?}\n");
            for l in lines {
                let _ = writeln!(out, "- {l}");
            }
            out.push('\n');
        }
        Some(out.trim_end().to_string() + "\n")
    }

    /// [`render`](Self::render) followed by the changelog entry to paste.
    pub fn render_with_changelog(&self) -> String {
        let mut out = self.render();
        if let Some(entry) = self.changelog() {
            let _ = write!(
                out,
                "\n  changelog entry for {}/CHANGELOG.md, under `## [Unreleased]`:\n\n{entry}",
                self.crate_name
            );
        }
        out
    }
}

/// `git show <rev>:<path>`: `Ok(None)` when the file does not exist at that revision.
pub fn git_show(root: &Path, rev: &str, path: &str) -> Result<Option<String>, String> {
    let spec = format!("{rev}:{path}");
    let exists = Command::new("git")
        .current_dir(root)
        .args(["cat-file", "-e", &spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !exists.status.success() {
        return Ok(None);
    }
    let out = Command::new("git")
        .current_dir(root)
        .args(["show", &spec])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git show {spec}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout)
        .map(Some)
        .map_err(|_| format!("{spec} is not UTF-8"))
}

/// The commit a revision names, or why there is none (a shallow clone, a typo).
pub fn resolve_revision(root: &Path, rev: &str) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "the base revision {rev:?} is not in this repository (a shallow clone, or a typo?)"
        ))
    }
}

/// Whether any of `paths` differs between `rev` and the working tree.
pub fn changed_since(root: &Path, rev: &str, paths: &[&str]) -> Result<bool, String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["diff", "--quiet", rev, "--"])
        .args(paths)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    match out.status.code() {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(format!(
            "git diff {rev}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// A crate's version from its `Cargo.toml` text, following `version.workspace = true` to the
/// workspace manifest's `[workspace.package]`.
pub fn manifest_version(manifest: &str, workspace_manifest: &str) -> Result<Version, String> {
    let in_section = |text: &str, section: &str| -> Option<String> {
        let mut current = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                current = line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
                continue;
            }
            if current != section {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "version" => return Some(value.trim().trim_matches('"').to_string()),
                "version.workspace" if value.trim() == "true" => return Some("workspace".into()),
                _ => {}
            }
        }
        None
    };
    match in_section(manifest, "package").as_deref() {
        Some("workspace") => in_section(workspace_manifest, "workspace.package")
            .ok_or("the workspace manifest has no [workspace.package] version")?
            .parse(),
        Some(v) => v.parse(),
        None => Err("the manifest has no package version".into()),
    }
}
