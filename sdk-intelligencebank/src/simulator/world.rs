//! What the simulated platform holds: one account (its user, API key and client id), the folder
//! tree under an invisible root, the resources with every version of their file and their
//! comments, the files stored by v3 uploads, the sessions, the browser-login tokens and the calls
//! of the last minute. Everything is plain data behind one mutex (held only while a handler reads
//! or changes it, never while bytes are sent); the JSON shapes are in `v2.rs` and `v3.rs`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use dam_test_server::sim::Blob;

/// The simulated user and platform: fixed for the life of a simulator.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Login name (`p70`).
    pub email: String,
    /// Password (`p80`).
    pub password: String,
    /// The user's API key (`apikey`, sent back as `p10`).
    pub apikey: String,
    /// The user's uuid (`useruuid`, sent back as `p20`).
    pub useruuid: String,
    /// The platform's client id (`clientid`, the `{clientid}` of v3 paths).
    pub clientid: String,
    /// The platform's client uuid.
    pub clientuuid: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// The uuid of the user's icon.
    pub iconuuid: String,
}

impl Account {
    /// "First Last", as `updatedby` and `createdby` show a user.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.firstname, self.lastname)
    }
}

/// A folder.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    /// Its uuid (32 hex characters).
    pub uuid: String,
    /// Creation order (sorts listings).
    pub seq: u64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The parent folder; `None` only for the root.
    pub parent: Option<String>,
    /// When it was created (UNIX seconds, simulator clock).
    pub created: i64,
}

/// One version of a resource's file.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    /// 1, 2, …
    pub number: u32,
    /// The file name as uploaded.
    pub file_name: String,
    /// Its content type.
    pub content_type: String,
    /// Its bytes.
    pub blob: Blob,
    /// When it was uploaded.
    pub created: i64,
    /// A digest of the file (the v3 `file.hash`).
    pub hash: String,
}

impl Version {
    /// The file's extension, lower case (`pdf`), or empty.
    pub fn ext(&self) -> String {
        self.file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// A comment on a resource.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    /// Its id.
    pub id: u64,
    /// The text.
    pub text: String,
    /// When it was written.
    pub created: i64,
    /// The resource's version it is about.
    pub version: u32,
}

/// A resource: a file (with its versions) and its metadata.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// Its uuid, used as `resourceuuid`, `fileuuid` and the v3 `_id` alike.
    pub uuid: String,
    /// Its numeric id (creation order; the search answer's `id`).
    pub id: u64,
    /// The folder that holds it.
    pub folder: String,
    /// Title (`name` in uploads and updates).
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags (keywords).
    pub tags: Vec<String>,
    /// Every version, oldest first; never empty.
    pub versions: Vec<Version>,
    /// When it was created.
    pub created: i64,
    /// When it last changed.
    pub updated: i64,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

impl Resource {
    /// The current version.
    pub fn current(&self) -> &Version {
        // `versions` is never empty: a resource is created with its first version.
        &self.versions[self.versions.len() - 1]
    }

    /// Whether every search term occurs in its title, description, tags or file name.
    pub fn matches(&self, terms: &[String]) -> bool {
        if terms.is_empty() {
            return true;
        }
        let hay = format!(
            "{} {} {} {}",
            self.title,
            self.description,
            self.tags.join(" "),
            self.current().file_name
        )
        .to_lowercase();
        terms.iter().all(|t| hay.contains(t.as_str()))
    }
}

/// A session started by a login or a browser login.
#[derive(Debug, Clone)]
pub(crate) struct SessionRec {
    /// The product key given at login, if any (the last part of `_aid` is it, or `default`).
    pub product_key: Option<String>,
    /// When it started (UNIX seconds, simulator clock).
    pub started: i64,
    /// `logintimeoutperiod`, in hours.
    pub hours: u32,
}

impl SessionRec {
    /// Whether it has timed out at `now`.
    pub fn expired(&self, now: i64) -> bool {
        now >= self.started + i64::from(self.hours) * 3600
    }
}

/// The whole state.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// Folders by uuid (the root included).
    pub folders: HashMap<String, Folder>,
    /// Resources by numeric id: iteration is creation order.
    pub resources: BTreeMap<u64, Resource>,
    /// Numeric id by uuid.
    pub index: HashMap<String, u64>,
    /// Files stored by v3 uploads, by hash.
    pub v3_files: HashMap<String, Blob>,
    /// Sessions by session id.
    pub sessions: HashMap<String, SessionRec>,
    /// Browser-login tokens: `false` while pending, `true` once approved.
    pub sso: HashMap<String, bool>,
    /// When the calls of the last minute were made (milliseconds, simulator clock).
    pub calls: VecDeque<i64>,
    /// The last numeric id handed out (resources, folders, comments).
    pub seq: u64,
}

impl World {
    /// The next numeric id.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A resource by uuid.
    pub fn resource(&self, uuid: &str) -> Option<&Resource> {
        self.index.get(uuid).and_then(|id| self.resources.get(id))
    }

    /// A resource by uuid, to change it.
    pub fn resource_mut(&mut self, uuid: &str) -> Option<&mut Resource> {
        let id = *self.index.get(uuid)?;
        self.resources.get_mut(&id)
    }

    /// Adds a resource.
    pub fn insert_resource(&mut self, resource: Resource) {
        self.index.insert(resource.uuid.clone(), resource.id);
        self.resources.insert(resource.id, resource);
    }

    /// Removes a resource; whether there was one.
    pub fn remove_resource(&mut self, uuid: &str) -> bool {
        match self.index.remove(uuid) {
            Some(id) => self.resources.remove(&id).is_some(),
            None => false,
        }
    }

    /// The sub-folders of `parent`, in creation order.
    pub fn children(&self, parent: &str) -> Vec<&Folder> {
        let mut list: Vec<&Folder> = self
            .folders
            .values()
            .filter(|f| f.parent.as_deref() == Some(parent))
            .collect();
        list.sort_by_key(|f| f.seq);
        list
    }

    /// The resources directly in `folder`, in creation order.
    pub fn resources_in<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources.values().filter(move |r| r.folder == folder)
    }

    /// `folder` and every folder below it.
    pub fn subtree(&self, folder: &str) -> Vec<String> {
        let mut found = vec![folder.to_string()];
        let mut i = 0;
        while i < found.len() {
            let below: Vec<String> = self.children(&found[i]).iter().map(|f| f.uuid.clone()).collect();
            found.extend(below);
            i += 1;
        }
        found
    }

    /// The folders from the root down to `folder` (both included).
    pub fn path_to(&self, folder: &str) -> Vec<&Folder> {
        let mut path = Vec::new();
        let mut at = self.folders.get(folder);
        while let Some(f) = at {
            path.push(f);
            if path.len() > self.folders.len() {
                break;
            }
            at = f.parent.as_deref().and_then(|p| self.folders.get(p));
        }
        path.reverse();
        path
    }

    /// Removes `folder`, its sub-folders and every resource in them.
    pub fn remove_folder(&mut self, folder: &str) {
        for uuid in self.subtree(folder) {
            self.folders.remove(&uuid);
            let gone: Vec<String> = self.resources_in(&uuid).map(|r| r.uuid.clone()).collect();
            for r in gone {
                self.remove_resource(&r);
            }
        }
    }
}
