-- Staff accounts, sessions, the audit log, article revisions, slug aliases, media and preview
-- links (SQLite). PostgreSQL has the same in migrations/postgres.

create table users (
    id integer primary key,
    -- Stored lowercased, so uniqueness is case-insensitive.
    email text not null unique check (email = lower(email)),
    name text not null check (length(name) > 0),
    unit_id integer references units (id) on delete restrict,
    role text not null check (role in ('admin', 'editor', 'author', 'employee')),
    is_head boolean not null default false,
    active boolean not null default true,
    -- argon2id, PHC string format.
    password_hash text not null,
    must_change_password boolean not null default false,
    created_at text not null,
    updated_at text not null
);

create index users_by_unit on users (unit_id);

-- The cookie holds a random token; only its SHA-256 is stored, so a leaked table opens nothing.
create table sessions (
    id_hash text primary key,
    user_id integer not null references users (id) on delete cascade,
    csrf_token text not null,
    ip text not null default '',
    created_at text not null,
    last_seen_at text not null,
    expires_at text not null
);

create index sessions_by_user on sessions (user_id);
create index sessions_by_expiry on sessions (expires_at);

-- Failed sign-ins, counted per account and per address for the lock-out.
create table sign_in_failures (
    id integer primary key,
    email text not null,
    ip text not null,
    at text not null
);

create index sign_in_failures_by_email on sign_in_failures (email, at);
create index sign_in_failures_by_ip on sign_in_failures (ip, at);

-- Who did what, when, from where. Labels keep the names as they were at the time.
create table audit_log (
    id integer primary key,
    at text not null,
    actor_id integer references users (id) on delete set null,
    actor_label text not null default '',
    action text not null,
    target_type text not null default '',
    target_id integer,
    target_label text not null default '',
    detail text not null default '',
    ip text not null default ''
);

create index audit_log_by_time on audit_log (at);
create index audit_log_by_action on audit_log (action, at);

alter table articles add column author_id integer references users (id) on delete set null;
alter table articles add column meta_description text not null default '';
-- Deleted articles stay restorable by an admin until purged.
alter table articles add column deleted_at text;
-- SHA-256 of the secret preview token; null when there is no live preview link.
alter table articles add column preview_token_hash text;

create table article_revisions (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    article_version integer not null,
    title text not null,
    summary text not null,
    body text not null,
    author_id integer references users (id) on delete set null,
    author_label text not null default '',
    reason text not null default '',
    created_at text not null
);

create index article_revisions_by_article on article_revisions (article_id, id);

-- Old slugs of renamed articles; their URLs answer 301 to the current one.
create table slug_aliases (
    slug text primary key,
    article_id integer not null references articles (id) on delete cascade,
    created_at text not null
);

create table media (
    id integer primary key,
    -- Random; the files live under LOA_DATA_DIR/media as NAME (display) and NAME-thumb.
    stored_name text not null unique,
    original_name text not null,
    content_type text not null,
    width integer not null,
    height integer not null,
    size_bytes integer not null,
    alt text not null default '',
    uploaded_by integer references users (id) on delete set null,
    created_at text not null,
    updated_at text not null
);
