//! The biometric surface (`/v1.1/...`): everything scoped to one gallery by an application's API
//! key (subjects, events, tags, search, verify, bulk jobs), plus Extract, which needs no key.

use crate::client::{Call, Client, Surface, encode_component};
use crate::error::{Error, Result};
use crate::image::FaceImage;
use futures_util::stream::{self, Stream};
use http::Method;
use necid_wire::{ApiKey, BatchId, EventId, SubjectId, TagName};
use necid_wire::{
    BulkProgress, BulkRegisterRequest, BulkRegisterResponse, BulkRegistration, Enrolment,
    ExtractRequest, ExtractResponse, FaceAttributes, FaceEnrolment, MatchScore, RegisterSummary,
    RenameTag, SearchRequest, SearchResponse, SortDirection, SubjectEvents, SubjectPage,
    SubjectRow, VerifyFaceRequest, VerifyFaceResponse, VerifySubjectRequest, VerifySubjectResponse,
};

/// The most rows List Subjects returns at once.
pub const MAX_SUBJECT_PAGE: u32 = 1000;

impl Client {
    /// The gallery that an application's API key opens.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let gallery = client.gallery(necid::ApiKey::new("73n4n74p1k3y"));
    /// let tags = gallery.tags().await?;
    /// # Ok(()) }
    /// ```
    pub fn gallery(&self, api_key: ApiKey) -> Gallery {
        Gallery {
            client: self.clone(),
            api_key,
        }
    }

    /// Extract: every face in an image, up to 20 (`POST /v1.1/face/extract`, no API key).
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let image = necid::FaceImage::from_path("group.jpg")?;
    /// let faces = client.extract(&image).await?.faces;
    /// # Ok(()) }
    /// ```
    ///
    /// An image too large for one request is sent as a smaller copy, and the faces' coordinates
    /// are those of the image given ([`Client::fit_images`]).
    pub async fn extract(&self, image: &FaceImage) -> Result<ExtractResponse> {
        self.extract_faces(image, false).await
    }

    /// Extract with each face's 68 landmarks (`POST /v1.1/face/extract?landmarks=68`), a local
    /// extension: only the local service (`necid-server`) offers it; the NEC cloud answers 400.
    /// Every face's [`ExtractedFace::landmarks`](crate::ExtractedFace::landmarks) is then set,
    /// in the pixels of the image given, as its attributes are.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let image = necid::FaceImage::from_path("group.jpg")?;
    /// for face in client.extract_with_landmarks(&image).await?.faces {
    ///     let landmarks = face.landmarks.unwrap_or_default();
    ///     println!("nose tip at {:?}", landmarks.get(30));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn extract_with_landmarks(&self, image: &FaceImage) -> Result<ExtractResponse> {
        self.extract_faces(image, true).await
    }

    async fn extract_faces(&self, image: &FaceImage, landmarks: bool) -> Result<ExtractResponse> {
        let mut body = ExtractRequest {
            faces: String::new(),
        };
        let [image] = self.fit_request(&body, [image]).await?;
        body.faces = image.to_base64();
        let mut call = Call::new(Surface::Biometric, Method::POST, "/v1.1/face/extract");
        if landmarks {
            call = call.query("landmarks", necid_wire::LANDMARK_COUNT);
        }
        let mut extracted: ExtractResponse = self.execute(call.json(&body)?).await?.json()?;
        for face in &mut extracted.faces {
            to_original(&image, &mut face.attributes);
            if let (Some(copy), Some(points)) = (image.copy_of(), face.landmarks.as_mut()) {
                copy.map_landmarks_to_original(points);
            }
        }
        Ok(extracted)
    }
}

/// One gallery, reached through an application's API key (sent as `x-api-key`).
#[derive(Clone, Debug)]
pub struct Gallery {
    client: Client,
    api_key: ApiKey,
}

impl Gallery {
    pub(crate) fn call(&self, method: Method, path: impl Into<String>) -> Call {
        Call::new(Surface::Biometric, method, path).api_key(&self.api_key)
    }

    /// Sends one face to an enrolment route, as a smaller copy when too large, and answers with
    /// its attributes on the image given.
    async fn enrol(&self, call: Call, face: &FaceImage, tags: &[TagName]) -> Result<Enrolment> {
        let mut body = FaceEnrolment {
            face: String::new(),
            tags: tags.to_vec(),
        };
        let [face] = self.client.fit_request(&body, [face]).await?;
        body.face = face.to_base64();
        let mut enrolled: Enrolment = self.client.execute(call.json(&body)?).await?.json()?;
        to_original(&face, &mut enrolled.attributes);
        Ok(enrolled)
    }

    /// The client this gallery's requests go through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The API key in use.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    // --- subjects ---------------------------------------------------------------------------

    /// List Subjects, one page: `GET /v1.1/subjects?start=&length=&dir=`.
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let page = gallery.list_subjects().start(0).length(100)
    ///     .dir(necid::SortDirection::Desc).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_subjects(&self) -> ListSubjects {
        ListSubjects {
            gallery: self.clone(),
            start: None,
            length: None,
            dir: None,
        }
    }

    /// Every row of List Subjects, page by page, `page_length` rows a request (at most 1000).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let rows: Vec<necid::SubjectRow> = gallery
    ///     .subject_rows(necid::SortDirection::Asc, 1000)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn subject_rows(
        &self,
        dir: SortDirection,
        page_length: u32,
    ) -> impl Stream<Item = Result<SubjectRow>> + Send + 'static {
        let gallery = self.clone();
        let page_length = page_length.clamp(1, MAX_SUBJECT_PAGE);
        let pages = stream::try_unfold(Some(0u64), move |next| {
            let gallery = gallery.clone();
            async move {
                let Some(start) = next else {
                    return Ok(None);
                };
                let page = gallery
                    .list_subjects()
                    .start(start)
                    .length(page_length)
                    .dir(dir)
                    .send()
                    .await?;
                let fetched = page.subjects.len() as u64;
                let following = start + fetched;
                let more = fetched > 0 && following < page.total;
                Ok(Some((page.subjects, more.then_some(following))))
            }
        });
        flatten_pages(pages)
    }

    /// Register Subject: a new subject from one face (`POST /v1.1/subjects`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let face = necid::FaceImage::from_path("passport.jpg")?;
    /// let enrolment = gallery.register_subject(&face, &[necid::TagName::new("staff")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn register_subject(&self, face: &FaceImage, tags: &[TagName]) -> Result<Enrolment> {
        self.enrol(self.call(Method::POST, "/v1.1/subjects"), face, tags)
            .await
    }

    /// Update Subject: replaces the face of the subject's first event
    /// (`PUT /v1.1/subjects/{id}`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId) -> necid::Result<()> {
    /// let face = necid::FaceImage::from_path("new.jpg")?;
    /// gallery.update_subject(&id, &face, &[]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_subject(
        &self,
        subject_id: &SubjectId,
        face: &FaceImage,
        tags: &[TagName],
    ) -> Result<Enrolment> {
        self.enrol(self.call(Method::PUT, subject_path(subject_id)), face, tags)
            .await
    }

    /// Unregister Subject and all its events (`DELETE /v1.1/subjects/{id}`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId) -> necid::Result<()> {
    /// gallery.unregister_subject(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn unregister_subject(&self, subject_id: &SubjectId) -> Result<()> {
        self.client
            .execute(self.call(Method::DELETE, subject_path(subject_id)))
            .await?
            .empty()
    }

    // --- events -----------------------------------------------------------------------------

    /// List Events of a subject (`GET /v1.1/subjects/{id}/events`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId) -> necid::Result<()> {
    /// let events = gallery.events(&id).await?.events;
    /// # Ok(()) }
    /// ```
    pub async fn events(&self, subject_id: &SubjectId) -> Result<SubjectEvents> {
        self.client
            .execute(self.call(Method::GET, events_path(subject_id)))
            .await?
            .json()
    }

    /// Register Event: another face for a subject (`POST /v1.1/subjects/{id}/events`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId) -> necid::Result<()> {
    /// let face = necid::FaceImage::from_path("second.jpg")?;
    /// gallery.register_event(&id, &face, &[]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn register_event(
        &self,
        subject_id: &SubjectId,
        face: &FaceImage,
        tags: &[TagName],
    ) -> Result<Enrolment> {
        self.enrol(self.call(Method::POST, events_path(subject_id)), face, tags)
            .await
    }

    /// Update Event (`PUT /v1.1/subjects/{id}/events/{eventId}`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId, event: necid::EventId) -> necid::Result<()> {
    /// let face = necid::FaceImage::from_path("newer.jpg")?;
    /// gallery.update_event(&id, &event, &face, &[]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_event(
        &self,
        subject_id: &SubjectId,
        event_id: &EventId,
        face: &FaceImage,
        tags: &[TagName],
    ) -> Result<Enrolment> {
        self.enrol(
            self.call(Method::PUT, event_path(subject_id, event_id)),
            face,
            tags,
        )
        .await
    }

    /// Unregister Event (`DELETE /v1.1/subjects/{id}/events/{eventId}`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId, event: necid::EventId) -> necid::Result<()> {
    /// gallery.unregister_event(&id, &event).await?;
    /// # Ok(()) }
    /// ```
    pub async fn unregister_event(&self, subject_id: &SubjectId, event_id: &EventId) -> Result<()> {
        self.client
            .execute(self.call(Method::DELETE, event_path(subject_id, event_id)))
            .await?
            .empty()
    }

    // --- face -------------------------------------------------------------------------------

    /// Search the gallery with a probe (`POST /v1.1/face/search`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let probe = necid::FaceImage::from_path("door-camera.jpg")?;
    /// match gallery.search(&probe).limit(3).send().await? {
    ///     Some(found) => println!("best: {}", found.candidates[0].id),
    ///     None => println!("nobody at or above the threshold"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search(&self, probe: &FaceImage) -> Search {
        Search {
            gallery: self.clone(),
            probe: probe.clone(),
            request: SearchRequest {
                probe: String::new(),
                threshold: None,
                limit: None,
                tags: Vec::new(),
            },
        }
    }

    /// Verify a probe against a subject's events (`POST /v1.1/face/verify` with `id`).
    /// `None` when the best event scores below 7000 (the API's 404).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, id: necid::SubjectId) -> necid::Result<()> {
    /// let probe = necid::FaceImage::from_path("probe.jpg")?;
    /// let verified = gallery.verify_subject(&probe, &id).await?.is_some();
    /// # Ok(()) }
    /// ```
    pub async fn verify_subject(
        &self,
        probe: &FaceImage,
        subject_id: &SubjectId,
    ) -> Result<Option<VerifySubjectResponse>> {
        let mut body = VerifySubjectRequest {
            probe: String::new(),
            id: subject_id.clone(),
        };
        // Verify answers with a score only: there are no coordinates to map back.
        let [probe] = self.client.fit_request(&body, [probe]).await?;
        body.probe = probe.to_base64();
        self.client
            .execute(self.call(Method::POST, "/v1.1/face/verify").json(&body)?)
            .await?
            .json_or_not_found()
    }

    /// Verify Face (2020 revision): two images, one face each (`POST /v1.1/face/verify` with
    /// `face` and `probe`). `None` when they score below 7000 (the API's 404).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let a = necid::FaceImage::from_path("a.jpg")?;
    /// let b = necid::FaceImage::from_path("b.jpg")?;
    /// let score = gallery.verify_faces(&a, &b).await?.map(|v| v.score);
    /// # Ok(()) }
    /// ```
    pub async fn verify_faces(
        &self,
        face: &FaceImage,
        probe: &FaceImage,
    ) -> Result<Option<VerifyFaceResponse>> {
        let mut body = VerifyFaceRequest {
            face: String::new(),
            probe: String::new(),
        };
        let [face, probe] = self.client.fit_request(&body, [face, probe]).await?;
        body.face = face.to_base64();
        body.probe = probe.to_base64();
        self.client
            .execute(self.call(Method::POST, "/v1.1/face/verify").json(&body)?)
            .await?
            .json_or_not_found()
    }

    // --- tags -------------------------------------------------------------------------------

    /// List Tags (`GET /v1.1/tags`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let tags = gallery.tags().await?;
    /// # Ok(()) }
    /// ```
    pub async fn tags(&self) -> Result<Vec<TagName>> {
        self.client
            .execute(self.call(Method::GET, "/v1.1/tags"))
            .await?
            .json()
    }

    /// Create Tag (`POST /v1.1/tags/{name}`); a gallery holds at most 64.
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// gallery.create_tag(&necid::TagName::new("staff")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_tag(&self, name: &TagName) -> Result<()> {
        check_tag(name)?;
        self.client
            .execute(self.call(Method::POST, tag_path(name)))
            .await?
            .empty()
    }

    /// Rename a tag (`PUT /v1.1/tags/{oldName}` with `{"newName"}`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// gallery.rename_tag(&"licence".into(), &"identification".into()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn rename_tag(&self, old_name: &TagName, new_name: &TagName) -> Result<()> {
        check_tag(new_name)?;
        let body = RenameTag {
            new_name: new_name.clone(),
        };
        self.client
            .execute(self.call(Method::PUT, tag_path(old_name)).json(&body)?)
            .await?
            .empty()
    }

    /// Delete Tag (`DELETE /v1.1/tags/{name}`); subjects and events keep theirs.
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// gallery.delete_tag(&necid::TagName::new("staff")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_tag(&self, name: &TagName) -> Result<()> {
        self.client
            .execute(self.call(Method::DELETE, tag_path(name)))
            .await?
            .empty()
    }

    // --- bulk jobs --------------------------------------------------------------------------

    /// Bulk Register: enrol files from the tenant's bucket in the background
    /// (`POST /v1.1/jobs/bulkregister`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery) -> necid::Result<()> {
    /// let batch = gallery.bulk_register(vec![necid::BulkRegistration {
    ///     filename: "1.jpg".into(),
    ///     tags: vec![],
    /// }]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn bulk_register(&self, registrations: Vec<BulkRegistration>) -> Result<BatchId> {
        if registrations.is_empty() {
            return Err(Error::InvalidInput(
                "a bulk registration needs at least one file".to_owned(),
            ));
        }
        let body = BulkRegisterRequest { registrations };
        let answer: BulkRegisterResponse = self
            .client
            .execute(
                self.call(Method::POST, "/v1.1/jobs/bulkregister")
                    .json(&body)?,
            )
            .await?
            .json()?;
        Ok(answer.batch_id)
    }

    /// One page (at most 1000 records) of Bulk Register Progress
    /// (`GET /v1.1/jobs/bulkregister/{batchId}[/{pagingId}]`).
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, batch: necid::BatchId) -> necid::Result<()> {
    /// let first = gallery.bulk_progress(&batch, None).await?;
    /// if !first.last_evaluated_key.is_empty() {
    ///     let next = gallery.bulk_progress(&batch, Some(&first.last_evaluated_key)).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn bulk_progress(
        &self,
        batch_id: &BatchId,
        paging_id: Option<&str>,
    ) -> Result<BulkProgress> {
        let mut path = format!(
            "/v1.1/jobs/bulkregister/{}",
            encode_component(batch_id.as_str())
        );
        if let Some(paging_id) = paging_id.filter(|p| !p.is_empty()) {
            path.push('/');
            path.push_str(&encode_component(paging_id));
        }
        self.client
            .execute(self.call(Method::GET, path))
            .await?
            .json()
    }

    /// Every record of a bulk job, following `lastEvaluatedKey` page after page.
    ///
    /// ```no_run
    /// # async fn run(gallery: necid::Gallery, batch: necid::BatchId) -> necid::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let records: Vec<necid::RegisterSummary> =
    ///     gallery.bulk_records(batch).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn bulk_records(
        &self,
        batch_id: BatchId,
    ) -> impl Stream<Item = Result<RegisterSummary>> + Send + 'static {
        let gallery = self.clone();
        let pages = stream::try_unfold(Some(String::new()), move |next| {
            let gallery = gallery.clone();
            let batch_id = batch_id.clone();
            async move {
                let Some(paging_id) = next else {
                    return Ok(None);
                };
                let page = gallery.bulk_progress(&batch_id, Some(&paging_id)).await?;
                let following = (!page.last_evaluated_key.is_empty()
                    && page.last_evaluated_key != paging_id)
                    .then_some(page.last_evaluated_key);
                Ok(Some((page.processed, following)))
            }
        });
        flatten_pages(pages)
    }
}

fn flatten_pages<T, S>(pages: S) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    S: Stream<Item = Result<Vec<T>>> + Send + 'static,
{
    use futures_util::StreamExt;
    pages.flat_map(|page| match page {
        Ok(items) => stream::iter(items.into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    })
}

/// Maps attributes measured on `sent` onto the image it is a copy of, if it is one.
fn to_original(sent: &FaceImage, attributes: &mut FaceAttributes) {
    if let Some(copy) = sent.copy_of() {
        copy.map_to_original(attributes);
    }
}

fn check_tag(name: &TagName) -> Result<()> {
    if name.as_str().trim().is_empty() {
        return Err(Error::InvalidInput(
            "a tag name must not be empty".to_owned(),
        ));
    }
    Ok(())
}

fn subject_path(subject_id: &SubjectId) -> String {
    format!("/v1.1/subjects/{}", encode_component(subject_id.as_str()))
}

fn events_path(subject_id: &SubjectId) -> String {
    format!("{}/events", subject_path(subject_id))
}

fn event_path(subject_id: &SubjectId, event_id: &EventId) -> String {
    format!(
        "{}/{}",
        events_path(subject_id),
        encode_component(event_id.as_str())
    )
}

fn tag_path(name: &TagName) -> String {
    format!("/v1.1/tags/{}", encode_component(name.as_str()))
}

/// List Subjects, one page; see [`Gallery::list_subjects`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct ListSubjects {
    gallery: Gallery,
    start: Option<u64>,
    length: Option<u32>,
    dir: Option<SortDirection>,
}

impl ListSubjects {
    /// First row (default 0).
    pub fn start(mut self, start: u64) -> Self {
        self.start = Some(start);
        self
    }

    /// Rows in the page, 1..=1000 (default 1000).
    pub fn length(mut self, length: u32) -> Self {
        self.length = Some(length);
        self
    }

    /// Order by `lastUpdated` (default ascending).
    pub fn dir(mut self, dir: SortDirection) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<SubjectPage> {
        if let Some(length) = self.length
            && !(1..=MAX_SUBJECT_PAGE).contains(&length)
        {
            return Err(Error::InvalidInput(format!(
                "length must be 1..=1000, not {length}"
            )));
        }
        let mut call = self.gallery.call(Method::GET, "/v1.1/subjects");
        if let Some(start) = self.start {
            call = call.query("start", start);
        }
        if let Some(length) = self.length {
            call = call.query("length", length);
        }
        if let Some(dir) = self.dir {
            call = call.query("dir", dir.as_str());
        }
        self.gallery.client.execute(call).await?.json()
    }
}

/// Search; see [`Gallery::search`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct Search {
    gallery: Gallery,
    probe: FaceImage,
    request: SearchRequest,
}

impl Search {
    /// Lowest score returned (default 7000).
    pub fn threshold(mut self, threshold: MatchScore) -> Self {
        self.request.threshold = Some(threshold);
        self
    }

    /// Most events returned in all, 1..=50 (default 10).
    pub fn limit(mut self, limit: u32) -> Self {
        self.request.limit = Some(limit);
        self
    }

    /// Only subjects with any of these tags.
    pub fn tags(mut self, tags: impl IntoIterator<Item = TagName>) -> Self {
        self.request.tags = tags.into_iter().collect();
        self
    }

    /// Sends the request. `None` when no candidate reaches the threshold (the API's 404).
    /// A probe too large for one request is sent as a smaller copy; the probe face's
    /// coordinates are those of the image given.
    pub async fn send(mut self) -> Result<Option<SearchResponse>> {
        if let Some(limit) = self.request.limit
            && !(1..=50).contains(&limit)
        {
            return Err(Error::InvalidInput(format!(
                "limit must be 1..=50, not {limit}"
            )));
        }
        let [probe] = self
            .gallery
            .client
            .fit_request(&self.request, [&self.probe])
            .await?;
        self.request.probe = probe.to_base64();
        let mut found: Option<SearchResponse> = self
            .gallery
            .client
            .execute(
                self.gallery
                    .call(Method::POST, "/v1.1/face/search")
                    .json(&self.request)?,
            )
            .await?
            .json_or_not_found()?;
        if let Some(found) = &mut found {
            to_original(&probe, &mut found.attributes);
        }
        Ok(found)
    }
}
