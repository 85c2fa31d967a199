-- Staff accounts, sessions, the audit log, article revisions, slug aliases, media and preview
-- links (PostgreSQL). SQLite has the same in migrations/sqlite.

create table users (
    id bigint generated always as identity primary key,
    -- Stored lowercased, so uniqueness is case-insensitive.
    email text not null unique check (email = lower(email)),
    name text not null check (length(name) > 0),
    unit_id bigint references units (id) on delete restrict,
    role text not null check (role in ('admin', 'editor', 'author', 'employee')),
    is_head boolean not null default false,
    active boolean not null default true,
    -- argon2id, PHC string format.
    password_hash text not null,
    must_change_password boolean not null default false,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create index users_by_unit on users (unit_id);

-- The cookie holds a random token; only its SHA-256 is stored, so a leaked table opens nothing.
create table sessions (
    id_hash text primary key,
    user_id bigint not null references users (id) on delete cascade,
    csrf_token text not null,
    ip text not null default '',
    created_at timestamptz not null,
    last_seen_at timestamptz not null,
    expires_at timestamptz not null
);

create index sessions_by_user on sessions (user_id);
create index sessions_by_expiry on sessions (expires_at);

-- Failed sign-ins, counted per account and per address for the lock-out.
create table sign_in_failures (
    id bigint generated always as identity primary key,
    email text not null,
    ip text not null,
    at timestamptz not null
);

create index sign_in_failures_by_email on sign_in_failures (email, at);
create index sign_in_failures_by_ip on sign_in_failures (ip, at);

-- Who did what, when, from where. Labels keep the names as they were at the time.
create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null,
    actor_id bigint references users (id) on delete set null,
    actor_label text not null default '',
    action text not null,
    target_type text not null default '',
    target_id bigint,
    target_label text not null default '',
    detail text not null default '',
    ip text not null default ''
);

create index audit_log_by_time on audit_log (at);
create index audit_log_by_action on audit_log (action, at);

alter table articles add column author_id bigint references users (id) on delete set null;
alter table articles add column meta_description text not null default '';
-- Deleted articles stay restorable by an admin until purged.
alter table articles add column deleted_at timestamptz;
-- SHA-256 of the secret preview token; null when there is no live preview link.
alter table articles add column preview_token_hash text;

create table article_revisions (
    id bigint generated always as identity primary key,
    article_id bigint not null references articles (id) on delete cascade,
    article_version bigint not null,
    title text not null,
    summary text not null,
    body text not null,
    author_id bigint references users (id) on delete set null,
    author_label text not null default '',
    reason text not null default '',
    created_at timestamptz not null
);

create index article_revisions_by_article on article_revisions (article_id, id);

-- Old slugs of renamed articles; their URLs answer 301 to the current one.
create table slug_aliases (
    slug text primary key,
    article_id bigint not null references articles (id) on delete cascade,
    created_at timestamptz not null
);

create table media (
    id bigint generated always as identity primary key,
    -- Random; the files live under LOA_DATA_DIR/media as NAME (display) and NAME-thumb.
    stored_name text not null unique,
    original_name text not null,
    content_type text not null,
    width bigint not null,
    height bigint not null,
    size_bytes bigint not null,
    alt text not null default '',
    uploaded_by bigint references users (id) on delete set null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
