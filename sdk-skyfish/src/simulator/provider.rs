//! The simulated service: its configuration, the [`Provider`] the router answers through (error
//! shape, credential check, dispatch of every operation to its handler, storage URLs, the
//! `X-Cbx-Request-Id` header) and the seeding of its corpus.

use std::sync::{Mutex, MutexGuard, OnceLock};

use dam_test_server::sim::{Call, Clock, Ids, Provider};
use dam_test_server::{Recorded, Reply};
use serde_json::json;

use super::state::{Folder, Kind, Media, State, User, error};
use super::{Blob, Credentials, Options};
use crate::runtime::Secret;

/// The simulated Skyfish.
pub(crate) struct Skyfish {
    pub(super) state: Mutex<State>,
    pub(super) clock: Clock,
    pub(super) options: Options,
    pub(super) credentials: Credentials,
    pub(super) user: i64,
    pub(super) company: i64,
    /// Signs storage URLs and upload policies (never sent).
    pub(super) signing_key: Vec<u8>,
    pub(super) base: OnceLock<String>,
    pub(super) tokens: Ids,
    request_ids: Ids,
}

impl Skyfish {
    pub(crate) fn new(options: Options) -> Self {
        let mut state = State {
            next_folder: 155_100,
            next_media: 90_909_000,
            next_clique: 52,
            ..State::default()
        };
        let user = 8989;
        state.users = vec![
            User {
                id: user,
                fullname: "Tess Tester".into(),
            },
            User {
                id: 245_942,
                fullname: "Nora Malkeko".into(),
            },
            User {
                id: 233_496,
                fullname: "Bedstemor And".into(),
            },
        ];
        let sim = Skyfish {
            state: Mutex::new(state),
            clock: Clock::new(),
            options,
            credentials: Credentials {
                api_key: "sim-api-key".into(),
                api_secret: Secret::new("sim-api-secret"),
                username: "tess@example.com".into(),
                password: Secret::new("sim-password"),
            },
            user,
            company: 147_903,
            signing_key: b"skyfish-simulator-storage-key".to_vec(),
            base: OnceLock::new(),
            tokens: Ids::default(),
            request_ids: Ids::starting_at(0x532c_0091_8bf0),
        };
        // Every user has a trashcan; the simulated user's is the first folder.
        sim.add_folder_with("Trash", None, true);
        sim
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_base(&self, url: String) {
        let _ = self.base.set(url);
    }

    /// The base URL storage links are made on.
    pub(crate) fn base(&self) -> &str {
        self.base.get().map(String::as_str).unwrap_or("http://127.0.0.1")
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    pub(crate) fn user_id(&self) -> i64 {
        self.user
    }

    pub(crate) fn company_id(&self) -> i64 {
        self.company
    }

    pub(crate) fn trash_folder(&self) -> i64 {
        self.lock()
            .folders
            .values()
            .find(|f| f.trash)
            .map(|f| f.id)
            .unwrap_or(0)
    }

    pub(crate) fn revoke_tokens(&self) {
        for t in self.lock().tokens.values_mut() {
            t.revoked = true;
        }
    }

    fn add_folder_with(&self, name: &str, parent: Option<i64>, trash: bool) -> i64 {
        let now = self.clock.unix();
        let mut st = self.lock();
        st.next_folder += 1;
        let id = st.next_folder;
        st.folders.insert(
            id,
            Folder {
                id,
                name: name.to_string(),
                parent,
                company_id: self.company,
                created: now,
                tags: Vec::new(),
                trash,
            },
        );
        id
    }

    pub(crate) fn add_folder(&self, name: &str, parent: Option<i64>) -> i64 {
        self.add_folder_with(name, parent, false)
    }

    pub(crate) fn add_file(&self, folder: i64, name: &str, blob: Blob) -> i64 {
        let now = self.clock.unix();
        let mut st = self.lock();
        st.next_media += 1;
        let id = st.next_media;
        let mut m = Media::new(id, name, blob, Some(folder), self.user, now);
        m.metadata.insert("title".into(), json!({ "en": name }));
        st.media.insert(id, m);
        id
    }

    pub(crate) fn seed_assets(&self, folder: i64, n: usize) -> Vec<i64> {
        let now = self.clock.unix();
        let mut st = self.lock();
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            st.next_media += 1;
            let id = st.next_media;
            let name = format!("seeded-{i:05}.jpg");
            let blob = Blob::Generated {
                len: 1024 + (i as u64 % 977),
                seed: id as u64,
            };
            let mut m = Media::new(id, &name, blob, Some(folder), self.user, now - (n - i) as i64);
            m.metadata
                .insert("title".into(), json!({ "en": format!("Seeded asset {i}") }));
            m.metadata.insert(
                "keywords".into(),
                json!({ "en": ["seeded", format!("batch{}", i % 10)] }),
            );
            m.width = Some(1920);
            m.height = Some(if i % 2 == 0 { 1080 } else { 2400 });
            st.media.insert(id, m);
            ids.push(id);
        }
        ids
    }

    pub(crate) fn blob(&self, media: i64) -> Option<Blob> {
        self.lock().media.get(&media).map(|m| m.blob.clone())
    }

    pub(crate) fn folders_of(&self, media: i64) -> Vec<i64> {
        self.lock()
            .media
            .get(&media)
            .map(|m| m.folders.clone())
            .unwrap_or_default()
    }

    pub(crate) fn media_in(&self, folder: i64) -> Vec<i64> {
        self.lock()
            .media
            .values()
            .filter(|m| m.folders.contains(&folder))
            .map(|m| m.id)
            .collect()
    }

    /// The small corpus of [`Simulator::start`](super::Simulator::start).
    pub(crate) fn seed_corpus(&self) {
        let first = self.add_folder("My first folder", None);
        let press = self.add_folder("Press photos", Some(first));
        let campaign = self.add_folder("Campaign 2021", None);
        let now = self.clock.unix();
        let day = 24 * 3600;
        struct Seed {
            folder: i64,
            name: &'static str,
            title: &'static str,
            description: &'static str,
            keywords: &'static [&'static str],
            size: (i64, i64),
            len: u64,
            geo: Option<(&'static str, &'static str)>,
            byline: &'static str,
            age_days: i64,
        }
        let seeds = [
            Seed {
                folder: first,
                name: "cat-blue-eyes.jpg",
                title: "Cat with blue eyes over white background",
                description: "A white cat with blue eyes looking at the camera",
                keywords: &["cat", "cute", "pet", "animal", "portrait"],
                size: (4000, 3000),
                len: 384 * 1024,
                geo: None,
                byline: "Jacob Hansen",
                age_days: 40,
            },
            Seed {
                folder: first,
                name: "sunset-nice.jpg",
                title: "Sunset over the sea in Nice",
                description: "The sun sets over the Mediterranean",
                keywords: &["sunset", "sea", "beach", "summer"],
                size: (6000, 4000),
                len: 512 * 1024,
                geo: Some(("43.7034", "7.26627")),
                byline: "Jane Doe",
                age_days: 30,
            },
            Seed {
                folder: press,
                name: "harvest.jpg",
                title: "Boy in combine harvester",
                description: "Boy sitting in the front of the cab in a combine harvester",
                keywords: &["boy", "combine", "harvester", "grain", "summer"],
                size: (3000, 4500),
                len: 256 * 1024,
                geo: Some(("52.4242", "11.5062")),
                byline: "Jacob Hansen",
                age_days: 20,
            },
            Seed {
                folder: press,
                name: "press-release.pdf",
                title: "Press release",
                description: "The spring press release",
                keywords: &["press", "release"],
                size: (0, 0),
                len: 96 * 1024,
                geo: None,
                byline: "",
                age_days: 10,
            },
            Seed {
                folder: campaign,
                name: "drone-flight.mp4",
                title: "Drone flight over the fjord",
                description: "Aerial video of a fjord at dawn",
                keywords: &["drone", "fjord", "aerial", "video"],
                size: (1920, 1080),
                len: 3 * 1024 * 1024,
                geo: Some(("61.2", "6.9")),
                byline: "Jane Doe",
                age_days: 5,
            },
            Seed {
                folder: campaign,
                name: "logo.svg",
                title: "Campaign logo",
                description: "The campaign's logo as a vector",
                keywords: &["logo", "campaign"],
                size: (0, 0),
                len: 8 * 1024,
                geo: None,
                byline: "",
                age_days: 3,
            },
        ];
        let mut st = self.lock();
        if let Some(f) = st.folders.get_mut(&campaign) {
            f.tags = vec!["campaign".into(), "2021".into()];
        }
        for s in seeds {
            st.next_media += 1;
            let id = st.next_media;
            let created = now - s.age_days * day;
            let blob = Blob::Generated {
                len: s.len,
                seed: id as u64,
            };
            let mut m = Media::new(id, s.name, blob, Some(s.folder), self.user, created);
            m.metadata
                .insert("title".into(), json!({"en": s.title, "da": "", "de": ""}));
            m.metadata
                .insert("description".into(), json!({"en": s.description, "da": "", "de": ""}));
            m.metadata.insert("keywords".into(), json!({ "en": s.keywords }));
            m.metadata.insert(
                "iptc".into(),
                json!({"Keywords": s.keywords, "Caption-Abstract": s.title, "ApplicationRecordVersion": 4}),
            );
            if !s.byline.is_empty() {
                m.set_iptc("By-line", json!(s.byline));
                m.set_iptc("CopyrightNotice", json!(format!("© {}", s.byline)));
            }
            if let Some((lat, lon)) = s.geo {
                m.metadata.insert(
                    "geolocation".into(),
                    json!({"source": "999", "latitude": lat, "longitude": lon}),
                );
            }
            if m.kind == Kind::Image || m.kind == Kind::Video {
                m.metadata.insert("camera_created".into(), json!(created - 3600));
                m.width = Some(s.size.0);
                m.height = Some(s.size.1);
            }
            st.media.insert(id, m);
        }
        // One of the user's Colourbox downloads (read-only, Appendix A).
        st.next_media += 1;
        let id = st.next_media;
        let mut stock = Media::new(
            id,
            "COLOURBOX4747447.jpg",
            Blob::Generated {
                len: 200 * 1024,
                seed: id as u64,
            },
            None,
            0,
            now - 400 * day,
        );
        stock.colourbox = true;
        stock.uploaded_by = 42;
        stock.metadata.insert(
            "title".into(),
            json!({"en": "Young beautiful blond woman with hat on a beach", "da": "Ung smuk blond kvinde med hat på en strand", "de": "Junge schöne blonde Frau mit Hut am Strand"}),
        );
        stock
            .metadata
            .insert("keywords".into(), json!({"en": ["woman", "beach", "hat"], "da": ["kvinde", "strand", "hat"], "de": ["Frau", "Strand", "Hut"]}));
        stock.width = Some(5000);
        stock.height = Some(3333);
        st.media.insert(id, stock);
        st.add_clique("The it crowd", json!(102), self.user, first);
    }

    /// The JSON of an object of `kind` (see `dam_test_server::sim::resource_of`): a new folder,
    /// media (a video for the stream operations), clique or finished ZIP job, or the simulated
    /// company or user.
    pub(crate) fn example_value(&self, operation: &str, kind: &str) -> Option<String> {
        let id = match kind {
            "company" => self.company,
            "user" => self.user,
            "folder" => self.add_folder("Example folder", None),
            "media" => {
                let folder = self.add_folder("Example media", None);
                let blob = Blob::Generated { len: 2048, seed: 7 };
                let name = if operation.contains("stream") {
                    "example.mp4"
                } else {
                    "example.jpg"
                };
                self.add_file(folder, name, blob)
            }
            "clique" => {
                let folder = self.add_folder("Example clique folder", None);
                let mut st = self.lock();
                let skyfish_id = json!(st.next_clique + 1);
                st.add_clique("Example clique", skyfish_id, self.user, folder)
            }
            "job" => {
                let folder = self.add_folder("Example ZIP folder", None);
                let now = self.clock.unix();
                let mut st = self.lock();
                let id = st.next_zip_id();
                let job = super::state::ZipJob {
                    folder,
                    pending: 0,
                    archive: Some(Blob::Generated { len: 4096, seed: 9 }),
                    failed: false,
                    valid_until: now + 24 * 3600,
                };
                st.zips.insert(id.clone(), job);
                return Some(json!(id).to_string());
            }
            _ => return None,
        };
        Some(id.to_string())
    }

    /// A path parameter as an id; `None` when it is not numeric (no such resource).
    pub(super) fn id(call: &Call<'_>, name: &str) -> Option<i64> {
        call.path(name).and_then(|v| v.trim().parse().ok())
    }
}

impl Provider for Skyfish {
    /// Skyfish's `{"message": …}` with the statuses of Appendix C: the service answers 404 for a
    /// method the resource does not support and 400 for a body it cannot read.
    fn error(&self, status: u16, message: &str) -> Reply {
        let status = match status {
            405 => 404,
            415 => 400,
            other => other,
        };
        error(status, message)
    }

    fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply> {
        self.check_token(call)
    }

    fn handle(&self, call: &Call<'_>) -> Option<Reply> {
        let now = self.clock.unix();
        let op = call.route.operation;
        let mut st = self.lock();
        let st = &mut *st;
        Some(match op {
            // Authentication.
            "authenticate_userpasshmac" => self.login(st, call, now),
            "validate_token" => self.validate(st, call, now),
            // Folders.
            "list_folders" => self.list_folders(st, call),
            "create_folder" => self.create_folder(st, call, now),
            "get_folder" => self.get_folder(st, call),
            "update_folder" => self.update_folder(st, call),
            "delete_folder" => self.delete_folder(st, call),
            "move_folder_to_trash" => self.trash_folder_op(st, call),
            "purge_folder" => self.purge_folder(st, call),
            "get_folder_tags" | "add_folder_tags" | "remove_folder_tags" | "purge_folder_tags" => {
                self.folder_tags(st, call)
            }
            "create_folder_zip" | "get_zip_file" => self.zip_job(st, call, now),
            "list_company_folders" | "list_user_folders" => self.owned_folders(st, call),
            // Media.
            "get_media" => self.get_media(st, call, now),
            "get_media_metadata"
            | "update_media_metadata"
            | "set_media_title"
            | "set_media_description"
            | "set_media_byline"
            | "set_media_copyright"
            | "replace_media_keywords"
            | "clear_media_keywords"
            | "add_media_keywords"
            | "remove_media_keywords" => self.metadata(st, call, now),
            "get_media_expiration_date" | "update_media_expiration_date" | "delete_media_expiration_date" => {
                self.expiration(st, call, now)
            }
            "get_media_folders"
            | "update_media_folders"
            | "copy_media_to_folder"
            | "remove_media_from_folder"
            | "move_media_to_trash"
            | "move_media" => self.media_folders(st, call),
            "get_media_version" | "get_media_tags" => self.media_info(st, call),
            "create_media_stream" | "get_media_stream_url" => self.stream(st, call),
            "get_media_download_location" | "get_media_download_location_size" => self.download_location(st, call, now),
            "replace_cdn_file" => self.replace_cdn_file(st, call),
            // Search.
            "search_media" => self.search(st, call, now, false),
            "search_colourbox_downloads" => self.search(st, call, now, true),
            // Uploads.
            "register_upload" => self.register_upload(st, call, now),
            "finalize_upload" => self.finalize_upload(st, call, now),
            "upload_user_profile_image" | "get_user_profile_image" | "get_user_profile_image_size" => {
                self.profile_image(st, call)
            }
            // Cliques.
            op if op.contains("clique") => self.cliques(st, call),
            // Company and user.
            "get_whoami" => self.whoami(),
            "list_company_users"
            | "list_company_apikeys"
            | "get_company_apiendpoint"
            | "get_company_diskusage"
            | "get_user_diskusage"
            | "list_cdn_aliases" => return self.company(st, call),
            "download_folder" => self.download_folder(st, call),
            // `signup` and `reset_password`: the spec's example (or 204) after the checks.
            _ => return None,
        })
    }

    fn unrouted(&self, request: &Recorded) -> Reply {
        if request.path.starts_with("/_storage/") {
            return self.storage(request);
        }
        error(404, &format!("no such resource: {} {}", request.method, request.path))
    }

    /// `X-Cbx-Request-Id` on every API answer; the storage answers like S3 (`x-amz-request-id`).
    fn answer_headers(&self, request: &Recorded) -> Vec<(String, String)> {
        let id = format!("{:x}", self.request_ids.next());
        if request.path.starts_with("/_storage/") {
            vec![("x-amz-request-id".into(), id.to_ascii_uppercase())]
        } else {
            vec![("x-cbx-request-id".into(), id)]
        }
    }
}

/// A JSON body's field as an id (number or numeric text).
pub(super) fn json_id(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
