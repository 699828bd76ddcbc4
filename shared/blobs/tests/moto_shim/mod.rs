//! Works around a moto bug: its `CompleteMultipartUpload` response has the root element
//! `CompleteMultipartUploadResponse` instead of `CompleteMultipartUploadResult`
//! (getmoto/moto#10055, still present in moto 5.2.5), which the Rust SDK refuses to parse even
//! though the upload completed. Test-only: real S3 answers correctly, so the adapter has no
//! emulator special cases. Drop this once the project's moto includes the fix.

use aws_sdk_s3::config::interceptors::FinalizerInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_smithy_runtime_api::client::interceptors::context::Output;

/// Turns moto's mis-rooted but successful `CompleteMultipartUpload` answer into the output.
#[derive(Debug)]
pub struct CompleteMultipartRootFix;

fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(
        xml[start..end]
            .replace("&quot;", "\"")
            .replace("&#34;", "\""),
    )
}

impl Intercept for CompleteMultipartRootFix {
    fn name(&self) -> &'static str {
        "CompleteMultipartRootFix"
    }

    fn modify_before_attempt_completion(
        &self,
        ctx: &mut FinalizerInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(resp) = ctx.response() else {
            return Ok(());
        };
        if resp.status().as_u16() != 200 {
            return Ok(());
        }
        let Some(body) = resp.body().bytes() else {
            return Ok(());
        };
        let xml = String::from_utf8_lossy(body);
        if !xml.contains("<CompleteMultipartUploadResponse") {
            return Ok(());
        }
        let out = CompleteMultipartUploadOutput::builder()
            .set_e_tag(element(&xml, "ETag"))
            .set_bucket(element(&xml, "Bucket"))
            .set_key(element(&xml, "Key"))
            .set_location(element(&xml, "Location"))
            .build();
        if let Some(slot) = ctx.output_or_error_mut()
            && slot.is_err()
        {
            *slot = Ok(Output::erase(out));
        }
        Ok(())
    }
}
