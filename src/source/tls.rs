//! TLS to PostgreSQL as libpq's `sslmode` spells it, so an address pasted from a database's
//! console means here what it means to psql:
//!
//! - `disable`: no TLS.
//! - `prefer` (the default): TLS when the server offers it; its certificate is not checked.
//! - `require`: TLS or nothing; the certificate is not checked, unless a root certificate is
//!   named (`sslrootcert`, or `~/.postgresql/root.crt` exists): then it is, as `verify-ca`.
//! - `verify-ca`: the certificate must chain to the root certificate (`sslrootcert=PATH`,
//!   else `~/.postgresql/root.crt`, else the system's authorities; `sslrootcert=system` asks
//!   for the system's).
//! - `verify-full`: that, and it must name the host connected to.
//!
//! tokio-postgres parses neither `verify-*` nor `sslrootcert`, so both are taken out of the
//! address here and the connection is set up from them.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the trusted authorities come from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Roots {
    File(PathBuf),
    System,
}

/// How a PostgreSQL connection is secured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Tls {
    pub mode: SslMode,
    roots: Option<Roots>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` address: the address without them
/// (for tokio-postgres) and the TLS they ask for. A sentence when they make no sense.
pub(super) fn split(address: &str) -> Result<(String, Tls), String> {
    let Ok(mut url) = url::Url::parse(address) else {
        // tokio-postgres says what is wrong with it.
        return Ok((address.to_owned(), Tls::with(SslMode::Prefer, None)?));
    };
    let mut mode = None;
    let mut root = None;
    let mut kept = Vec::new();
    for (key, value) in url.query_pairs() {
        match &*key {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root = Some(value.into_owned()),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mode = match mode.as_deref() {
        None | Some("prefer") | Some("allow") => SslMode::Prefer,
        Some("disable") => SslMode::Disable,
        Some("require") => SslMode::Require,
        Some("verify-ca") => SslMode::VerifyCa,
        Some("verify-full") => SslMode::VerifyFull,
        Some(other) => {
            let other = crate::display::printable(other);
            return Err(format!(
                "cannot be used: sslmode={other} is not one PostgreSQL knows (disable, prefer, \
                 require, verify-ca or verify-full)"
            ));
        }
    };
    let roots = match root.as_deref() {
        Some("system") => Some(Roots::System),
        Some("") => {
            return Err("cannot be used: sslrootcert= names no file".into());
        }
        Some(path) => Some(Roots::File(PathBuf::from(path))),
        None => None,
    };
    Ok((url.to_string(), Tls::with(mode, roots)?))
}

impl Tls {
    fn with(mode: SslMode, roots: Option<Roots>) -> Result<Tls, String> {
        if mode == SslMode::Disable && roots.is_some() {
            return Err(
                "cannot be used: sslrootcert is given with sslmode=disable, which uses no TLS"
                    .into(),
            );
        }
        // libpq's default root certificate, where the user keeps one.
        let default_root = || {
            dirs::home_dir()
                .map(|home| home.join(".postgresql").join("root.crt"))
                .filter(|path| path.is_file())
                .map(Roots::File)
        };
        let roots = match mode {
            SslMode::Disable | SslMode::Prefer => roots,
            SslMode::Require => roots.or_else(default_root),
            SslMode::VerifyCa | SslMode::VerifyFull => {
                roots.or_else(default_root).or(Some(Roots::System))
            }
        };
        Ok(Tls { mode, roots })
    }

    pub(super) fn postgres_mode(&self) -> tokio_postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        }
    }

    /// The TLS connector: it checks the server's certificate as the mode and roots say.
    pub(super) fn connector(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain: Option<Arc<dyn ServerCertVerifier>> = match &self.roots {
            None => None,
            Some(Roots::System) => Some(Arc::new(
                rustls_platform_verifier::Verifier::new(provider.clone())
                    .map_err(|e| format!("cannot use the system's certificate authorities: {e}"))?,
            )),
            Some(Roots::File(path)) => {
                // A FIFO or a device would be waited on, or read without end.
                if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
                    return Err(format!(
                        "cannot use sslrootcert={}: it is not a file",
                        path.display()
                    ));
                }
                let mut store = rustls::RootCertStore::empty();
                let certificates = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| {
                        format!(
                            "cannot use sslrootcert={}: {e} (it must be PEM certificates)",
                            path.display()
                        )
                    })?;
                let (added, _) = store.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(format!(
                        "cannot use sslrootcert={}: it holds no certificate",
                        path.display()
                    ));
                }
                Some(
                    rustls::client::WebPkiServerVerifier::builder_with_provider(
                        Arc::new(store),
                        provider.clone(),
                    )
                    .build()
                    .map_err(|e| format!("cannot use sslrootcert={}: {e}", path.display()))?,
                )
            }
        };
        let verifier: Arc<dyn ServerCertVerifier> = match chain {
            Some(full) if self.mode == SslMode::VerifyFull => full,
            chain => Arc::new(Lenient {
                chain,
                provider: provider.clone(),
            }),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

/// What a certificate refused by the checks above means, and what to do, when `error` (or
/// what it rests on) is one.
pub(super) fn refusal(error: &(dyn std::error::Error + 'static), host: &str) -> Option<String> {
    let mut cause = Some(error);
    while let Some(inner) = cause {
        let found = inner.downcast_ref::<rustls::Error>().or_else(|| {
            inner
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|e| e.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(problem)) = found {
            return Some(match problem {
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    format!(
                        "the server's certificate does not name {host}: connect by a name it \
                         carries, or check only who signed it with sslmode=verify-ca"
                    )
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "the server's certificate has expired: its administrator must renew it".into()
                }
                _ => format!(
                    "the server's certificate is not trusted ({problem:?}): name the authority \
                     that signed it with sslrootcert=PATH in the address, or encrypt without \
                     checking it with sslmode=require"
                ),
            });
        }
        cause = inner.source();
    }
    None
}

/// libpq's checks short of `verify-full`: the chain against the roots when there are some
/// (`verify-ca`, or `require` with a root certificate), nothing without (`prefer`, `require`);
/// never the name (rustls checks the name after the chain, so a name error means the chain
/// passed). Whatever the certificate, the server must hold its key: the handshake's signatures
/// are checked.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<dyn ServerCertVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_address() {
        let (address, tls) =
            split("postgres://crm@db:5432/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem")
                .unwrap();
        assert_eq!(address, "postgres://crm@db:5432/shop");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.roots, Some(Roots::File("/etc/ca.pem".into())));

        let (address, tls) =
            split("postgres://crm@db/shop?application_name=x&sslmode=disable").unwrap();
        assert_eq!(address, "postgres://crm@db/shop?application_name=x");
        assert_eq!(tls.mode, SslMode::Disable);
        assert_eq!(
            tls.postgres_mode(),
            tokio_postgres::config::SslMode::Disable
        );

        let (_, tls) = split("postgres://crm@db/shop").unwrap();
        assert_eq!(tls.mode, SslMode::Prefer);
        let (_, tls) = split("postgres://crm@db/shop?sslmode=verify-ca").unwrap();
        assert!(
            tls.roots.is_some(),
            "verify-ca always checks against some roots"
        );
        let (_, tls) = split("postgres://crm@db/shop?sslmode=require&sslrootcert=system").unwrap();
        assert_eq!(tls.roots, Some(Roots::System));

        let refused = split("postgres://crm@db/shop?sslmode=strict").unwrap_err();
        assert!(refused.contains("sslmode=strict"), "{refused}");
        let refused =
            split("postgres://crm@db/shop?sslmode=disable&sslrootcert=/ca.pem").unwrap_err();
        assert!(refused.contains("no TLS"), "{refused}");
    }

    #[test]
    fn a_root_file_that_is_not_pem_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let (_, tls) = split(&format!(
            "postgres://crm@db/shop?sslmode=verify-full&sslrootcert={}",
            path.display()
        ))
        .unwrap();
        let Err(refused) = tls.connector() else {
            panic!("a file of no certificate is refused");
        };
        assert!(refused.contains("ca.pem"), "{refused}");

        // A FIFO is refused, not waited on.
        let fifo = dir.path().join("fifo.pem");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let (_, tls) = split(&format!(
            "postgres://crm@db/shop?sslmode=verify-full&sslrootcert={}",
            fifo.display()
        ))
        .unwrap();
        let Err(refused) = tls.connector() else {
            panic!("a FIFO is refused");
        };
        assert!(refused.contains("not a file"), "{refused}");
    }
}
