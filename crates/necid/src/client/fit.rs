//! Photos made to fit the request size limit: when a body would pass
//! [`Client::max_request_bytes`], each large image is sent as a smaller copy that remembers its
//! original, the room shared out between the images of one request.

use super::Client;
use crate::error::{Error, Result};
use crate::image::{FaceImage, bytes_for_base64};
use std::borrow::Cow;

/// What [`Client::fit_images`] leaves for the JSON around the images (tags, ids, field names):
/// more than any real request needs, a fraction of a percent of a limit.
const JSON_ALLOWANCE_BYTES: usize = 64 * 1024;

impl Client {
    /// The images as a request carrying them will send them: each one itself when the body
    /// fits [`Client::max_request_bytes`], else a smaller copy ([`FaceImage::fit_within`]) that
    /// remembers its original. A request given such a copy sends it unchanged and maps the
    /// coordinates of its answer back onto the original, so calling this first lets a caller
    /// say what was sent and choose where the decoding and encoding run (it is CPU work: keep
    /// it off async threads). Requests fit their images themselves when not given copies.
    ///
    /// ```no_run
    /// # async fn run(client: necid::Client) -> necid::Result<()> {
    /// let photo = necid::FaceImage::from_path("camera.jpg")?;
    /// let fitting = client.clone();
    /// let sent = tokio::task::spawn_blocking(move || fitting.fit_images(&[&photo]))
    ///     .await
    ///     .expect("fitting does not panic")?
    ///     .remove(0);
    /// if let Some(copy) = sent.copy_of() {
    ///     println!("{copy}"); // "12.3 MB photo sent as a 2.1 MB copy"
    /// }
    /// let faces = client.extract(&sent).await?.faces;
    /// # Ok(()) }
    /// ```
    pub fn fit_images(&self, images: &[&FaceImage]) -> Result<Vec<FaceImage>> {
        let capacity = self
            .inner
            .max_request_bytes
            .saturating_sub(JSON_ALLOWANCE_BYTES);
        let sizes: Vec<usize> = images.iter().map(|image| image.base64_len()).collect();
        images
            .iter()
            .zip(base64_budgets(&sizes, capacity))
            .map(|(image, budget)| match budget {
                None => Ok((*image).clone()),
                Some(chars) => Ok(image.fit_within(bytes_for_base64(chars))?),
            })
            .collect()
    }

    /// The images of one request, fitted to what its body leaves for them: `empty_body` is the
    /// body with every image field empty. Fitting runs on a blocking thread.
    pub(crate) async fn fit_request<'a, const N: usize>(
        &self,
        empty_body: &impl serde::Serialize,
        images: [&'a FaceImage; N],
    ) -> Result<[Cow<'a, FaceImage>; N]> {
        let overhead = serde_json::to_vec(empty_body)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the request: {e}")))?
            .len();
        let capacity = self.inner.max_request_bytes.saturating_sub(overhead);
        let sizes = images.map(FaceImage::base64_len);
        let budgets = base64_budgets(&sizes, capacity);
        let mut fitted = images.map(Cow::Borrowed);
        for (slot, budget) in fitted.iter_mut().zip(budgets) {
            let Some(chars) = budget else { continue };
            let image = slot.clone().into_owned();
            let max_bytes = bytes_for_base64(chars);
            let copy = match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime
                    .spawn_blocking(move || image.fit_within(max_bytes))
                    .await
                    .map_err(|_| {
                        Error::InvalidInput("making a smaller copy of the image failed".to_owned())
                    })??,
                Err(_) => image.fit_within(max_bytes)?,
            };
            *slot = Cow::Owned(copy);
        }
        Ok(fitted)
    }
}

/// How many base64 characters each image may take when `capacity` is left for all of them:
/// `None` keeps an image as it is. Every image is kept when they all fit; otherwise the room is
/// shared out evenly, and what a small image does not use goes to the larger ones.
fn base64_budgets(sizes: &[usize], capacity: usize) -> Vec<Option<usize>> {
    if sizes.iter().sum::<usize>() <= capacity {
        return vec![None; sizes.len()];
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut budgets = vec![None; sizes.len()];
    let mut left = capacity;
    for (done, &i) in order.iter().enumerate() {
        let share = left / (sizes.len() - done);
        if sizes[i] <= share {
            left -= sizes[i];
        } else {
            budgets[i] = Some(share);
            left -= share;
        }
    }
    budgets
}

#[cfg(test)]
mod tests {
    use super::base64_budgets;

    #[test]
    fn images_that_fit_together_are_all_kept() {
        assert_eq!(base64_budgets(&[400, 500], 900), vec![None, None]);
    }

    #[test]
    fn a_small_image_is_kept_and_the_large_one_gets_the_rest() {
        assert_eq!(base64_budgets(&[5000, 100], 1000), vec![Some(900), None]);
    }

    #[test]
    fn two_large_images_share_the_room_evenly() {
        assert_eq!(
            base64_budgets(&[5000, 7000], 1000),
            vec![Some(500), Some(500)]
        );
        assert_eq!(base64_budgets(&[5000], 1000), vec![Some(1000)]);
    }
}
