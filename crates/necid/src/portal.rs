//! The tenant-management surface (`/api/...`): galleries and applications.

use crate::client::{Call, Client, Surface, encode_component};
use crate::error::Result;
use http::Method;
use necid_wire::{
    Application, ApplicationList, ApplicationSummary, CreateApplication, CreateGallery,
    CreatedGallery, GalleryDetail, GalleryList, GallerySummary, UpdateApplication, UpdateGallery,
    UpdatedGallery,
};
use necid_wire::{ApplicationId, GalleryId};

impl Client {
    /// The tenant's galleries.
    pub fn galleries(&self) -> Galleries {
        Galleries {
            client: self.clone(),
        }
    }

    /// The tenant's applications.
    pub fn applications(&self) -> Applications {
        Applications {
            client: self.clone(),
        }
    }
}

/// Galleries: `/api/galleries`.
#[derive(Clone, Debug)]
pub struct Galleries {
    client: Client,
}

impl Galleries {
    /// List Galleries: `GET /api/galleries`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let galleries = client.galleries().list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<GallerySummary>> {
        let list: GalleryList = self
            .client
            .execute(Call::new(Surface::Portal, Method::GET, "/api/galleries"))
            .await?
            .json()?;
        Ok(list.galleries)
    }

    /// Get Gallery, with its applications and their API keys: `GET /api/galleries/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::GalleryId) -> necid::Result<()> {
    /// let gallery = client.galleries().get(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, gallery_id: &GalleryId) -> Result<GalleryDetail> {
        self.client
            .execute(Call::new(
                Surface::Portal,
                Method::GET,
                gallery_path(gallery_id),
            ))
            .await?
            .json()
    }

    /// Create Gallery, which also creates an application and returns its API key:
    /// `POST /api/galleries`. An existing name is a `Duplicate` error.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let created = client.galleries().create(&necid::CreateGallery {
    ///     name: "Staff".into(),
    ///     description: "Staff".into(),
    ///     face_minimum_quality_score: 0.6,
    ///     size: 1000,
    /// }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, gallery: &CreateGallery) -> Result<CreatedGallery> {
        self.client
            .execute(Call::new(Surface::Portal, Method::POST, "/api/galleries").json(gallery)?)
            .await?
            .json()
    }

    /// Update Gallery (the size may only grow): `PATCH /api/galleries/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::GalleryId) -> necid::Result<()> {
    /// let change = necid::UpdateGallery { size: Some(2000), ..Default::default() };
    /// client.galleries().update(&id, &change).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        gallery_id: &GalleryId,
        change: &UpdateGallery,
    ) -> Result<UpdatedGallery> {
        self.client
            .execute(
                Call::new(Surface::Portal, Method::PATCH, gallery_path(gallery_id)).json(change)?,
            )
            .await?
            .json()
    }

    /// Delete Gallery, its applications and everything enrolled in it:
    /// `DELETE /api/galleries/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::GalleryId) -> necid::Result<()> {
    /// client.galleries().delete(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, gallery_id: &GalleryId) -> Result<()> {
        self.client
            .execute(Call::new(
                Surface::Portal,
                Method::DELETE,
                gallery_path(gallery_id),
            ))
            .await?
            .empty()
    }
}

fn gallery_path(gallery_id: &GalleryId) -> String {
    format!("/api/galleries/{}", encode_component(gallery_id.as_str()))
}

/// Applications: `/api/applications`.
#[derive(Clone, Debug)]
pub struct Applications {
    client: Client,
}

impl Applications {
    /// List Applications: `GET /api/applications`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let applications = client.applications().list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<ApplicationSummary>> {
        let list: ApplicationList = self
            .client
            .execute(Call::new(Surface::Portal, Method::GET, "/api/applications"))
            .await?
            .json()?;
        Ok(list.applications)
    }

    /// Get Application: `GET /api/applications/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::ApplicationId) -> necid::Result<()> {
    /// let application = client.applications().get(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, application_id: &ApplicationId) -> Result<Application> {
        self.client
            .execute(Call::new(
                Surface::Portal,
                Method::GET,
                application_path(application_id),
            ))
            .await?
            .json()
    }

    /// Create Application for a gallery: `POST /api/applications`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, gallery_id: necid::GalleryId) -> necid::Result<()> {
    /// let application = client.applications().create(&necid::CreateApplication {
    ///     name: "Building Access".into(),
    ///     description: String::new(),
    ///     face_minimum_quality_score: 0.8,
    ///     gallery_id,
    /// }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, application: &CreateApplication) -> Result<Application> {
        self.client
            .execute(
                Call::new(Surface::Portal, Method::POST, "/api/applications").json(application)?,
            )
            .await?
            .json()
    }

    /// Update Application: `PATCH /api/applications/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::ApplicationId) -> necid::Result<()> {
    /// let change = necid::UpdateApplication {
    ///     face_minimum_quality_score: Some(0.6),
    ///     ..Default::default()
    /// };
    /// client.applications().update(&id, &change).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        application_id: &ApplicationId,
        change: &UpdateApplication,
    ) -> Result<Application> {
        self.client
            .execute(
                Call::new(
                    Surface::Portal,
                    Method::PATCH,
                    application_path(application_id),
                )
                .json(change)?,
            )
            .await?
            .json()
    }

    /// Delete Application: `DELETE /api/applications/{id}`.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client, id: necid::ApplicationId) -> necid::Result<()> {
    /// client.applications().delete(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, application_id: &ApplicationId) -> Result<()> {
        self.client
            .execute(Call::new(
                Surface::Portal,
                Method::DELETE,
                application_path(application_id),
            ))
            .await?
            .empty()
    }
}

fn application_path(application_id: &ApplicationId) -> String {
    format!(
        "/api/applications/{}",
        encode_component(application_id.as_str())
    )
}
