//! User sessions: random bearer tokens, stored only as SHA-256 hashes, with a fixed lifetime.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{catalog::EntityRef, db::Db, error::Result, timestamp::Timestamp, with_pool};

/// Prefix of session tokens, so a leaked one is recognisable (and scannable) as Herald's.
const TOKEN_PREFIX: &str = "hrs_";

pub struct Sessions {
    db: Db,
    ttl: Duration,
}

impl Sessions {
    pub fn new(db: Db, ttl: Duration) -> Self {
        Self { db, ttl }
    }

    /// Starts a session for `user` and returns its token; the token itself is never stored.
    pub async fn create(&self, user: &EntityRef) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let now = Timestamp::now();
        let expires = now.plus(self.ttl);
        with_pool!(&self.db, write, |pool| {
            sqlx::query("INSERT INTO session (token_hash, user_ref, created, expires) VALUES ($1, $2, $3, $4)")
                .bind(hash(&token))
                .bind(user.as_str())
                .bind(now.micros())
                .bind(expires.micros())
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(token)
    }

    /// The user a live session token belongs to.
    pub async fn user_for(&self, token: &str) -> Result<Option<EntityRef>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let user: Option<String> = with_pool!(&self.db, read, |pool| {
            sqlx::query_scalar("SELECT user_ref FROM session WHERE token_hash = $1 AND expires > $2")
                .bind(hash(token))
                .bind(Timestamp::now().micros())
                .fetch_optional(pool)
                .await
        })?;
        Ok(user.and_then(|text| EntityRef::parse(&text).ok()))
    }

    pub async fn delete(&self, token: &str) -> Result<()> {
        with_pool!(&self.db, write, |pool| {
            sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(hash(token)).execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired(&self) -> Result<u64> {
        let done = with_pool!(&self.db, write, |pool| {
            sqlx::query("DELETE FROM session WHERE expires <= $1")
                .bind(Timestamp::now().micros())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(done)
    }
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
