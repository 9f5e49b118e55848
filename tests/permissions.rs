//! Who may do what with a package and its catalog, over real HTTP: the permission matrix for
//! every kind of caller, the rules for public packages, and the personal-catalog rule.
//!
//! Anonymous callers without a permission are asked to sign in (`NOT_AUTHENTICATED`,
//! code UNAUTHENTICATED); signed-in ones are refused (`NOT_AUTHORIZED`, code FORBIDDEN). Site
//! administrators get no access they were not granted (behavior.md §3.8).

mod support;

use std::sync::atomic::{AtomicU32, Ordering};

use datapm_registry::entity::catalog_permission;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use support::accounts::{Account, assert_refused, new_account, user_row};
use support::package_files::{cli_publish_body, fixture};
use support::publish::*;
use support::server::{As, Reply, TestConfig, TestServer};

const ALL: &[&str] = &["VIEW", "EDIT", "MANAGE"];
const NONE: &[&str] = &[];

/// The operations of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Package,
    CreateVersion,
    UpdatePackage,
    DeletePackage,
    SetPackagePermissions,
    UsersByPackage,
    Catalog,
    UpdateCatalog,
    DeleteCatalog,
    CreatePackage,
    SearchPackages,
    LatestPackages,
    MyCatalogs,
    PackageVersionsDiff,
    PackageFetched,
    DeleteVersion,
    MovePackage,
    RemovePackagePermissions,
    CatalogPackages,
    UsersByCatalog,
    SetUserCatalogPermission,
    DeleteUserCatalogPermissions,
}

const OPS: [Op; 22] = [
    Op::Package,
    Op::PackageVersionsDiff,
    Op::PackageFetched,
    Op::CreateVersion,
    Op::UpdatePackage,
    Op::SetPackagePermissions,
    Op::RemovePackagePermissions,
    Op::UsersByPackage,
    Op::Catalog,
    Op::CatalogPackages,
    Op::UpdateCatalog,
    Op::UsersByCatalog,
    Op::SetUserCatalogPermission,
    Op::DeleteUserCatalogPermissions,
    Op::CreatePackage,
    Op::SearchPackages,
    Op::LatestPackages,
    Op::MyCatalogs,
    Op::DeleteVersion,
    Op::MovePackage,
    Op::DeletePackage,
    Op::DeleteCatalog,
];

impl Op {
    /// The permission an operation needs, on the package (`true`) or on the catalog.
    fn needs(self) -> Option<(bool, &'static str)> {
        match self {
            Op::Package | Op::PackageVersionsDiff | Op::PackageFetched => Some((true, "VIEW")),
            Op::CreateVersion | Op::UpdatePackage | Op::DeleteVersion => Some((true, "EDIT")),
            // Moving also needs EDIT on the target catalog: each caller moves into their own.
            Op::DeletePackage
            | Op::SetPackagePermissions
            | Op::RemovePackagePermissions
            | Op::UsersByPackage
            | Op::MovePackage => Some((true, "MANAGE")),
            Op::Catalog | Op::CatalogPackages => Some((false, "VIEW")),
            Op::UpdateCatalog | Op::CreatePackage => Some((false, "EDIT")),
            Op::DeleteCatalog
            | Op::UsersByCatalog
            | Op::SetUserCatalogPermission
            | Op::DeleteUserCatalogPermissions => Some((false, "MANAGE")),
            Op::SearchPackages | Op::LatestPackages | Op::MyCatalogs => None,
        }
    }
}

/// One kind of caller and what they hold on the package and catalog under test.
struct Caller {
    name: &'static str,
    account: Option<Account>,
    on_package: Set,
    on_catalog: Set,
    /// Their own grant on the package, given again on the packages deleted in their name.
    direct: Option<Set>,
    /// Whether `myCatalogs` lists the catalog.
    lists_catalog: bool,
}

type Set = &'static [&'static str];

impl Caller {
    /// A signed-in caller holding nothing.
    fn new(name: &'static str, account: &Account) -> Self {
        Caller {
            name,
            account: Some(account.clone()),
            on_package: NONE,
            on_catalog: NONE,
            direct: None,
            lists_catalog: false,
        }
    }

    fn anonymous() -> Self {
        Caller {
            name: "anonymous",
            account: None,
            on_package: NONE,
            on_catalog: NONE,
            direct: None,
            lists_catalog: false,
        }
    }

    /// Holds `permissions` through their own grant on the package.
    fn granted(self, permissions: Set) -> Self {
        Caller {
            direct: Some(permissions),
            on_package: permissions,
            ..self
        }
    }

    /// Holds these on the package and on the catalog, however they came by them.
    fn holds(self, on_package: Set, on_catalog: Set) -> Self {
        Caller {
            on_package,
            on_catalog,
            ..self
        }
    }

    /// Has a grant row on the catalog, so `myCatalogs` lists it.
    fn listed(self) -> Self {
        Caller {
            lists_catalog: true,
            ..self
        }
    }

    fn who(&self) -> As {
        self.account.as_ref().map_or(As::Anonymous, Account::key)
    }

    fn allowed(&self, op: Op) -> bool {
        match op.needs() {
            Some((true, permission)) => self.on_package.contains(&permission),
            Some((false, permission)) => self.on_catalog.contains(&permission),
            None => op != Op::MyCatalogs || self.account.is_some(),
        }
    }
}

/// A package with a version in a catalog, the owner of both, and the callers to try.
struct World {
    server: TestServer,
    owner: Account,
    catalog: &'static str,
    callers: Vec<Caller>,
    scratch: AtomicU32,
}

const PACKAGE: &str = "countries";

impl World {
    /// The callers against `acme/countries`, owned by `owner`.
    fn new(server: TestServer, owner: &Account, callers: Vec<Caller>) -> Self {
        World {
            server,
            owner: owner.clone(),
            catalog: "acme",
            callers,
            scratch: AtomicU32::new(0),
        }
    }

    fn file(&self) -> Value {
        sent_file(PACKAGE, "1.0.0")
    }

    /// A new package in the catalog on which `caller` holds what they hold on the main one.
    async fn scratch_package(&self, caller: &Caller) -> String {
        let slug = format!("scratch-{}", self.scratch.fetch_add(1, Ordering::SeqCst));
        create_package(
            &self.server,
            &self.owner.key(),
            self.catalog,
            &slug,
            &self.file(),
        )
        .await
        .data("createPackage");
        if let (Some(direct), Some(account)) = (caller.direct, &caller.account) {
            let target = (self.catalog, slug.as_str());
            set_package_permissions(
                &self.server,
                &self.owner.key(),
                target,
                &account.username,
                direct,
                "",
            )
            .await
            .data("setPackagePermissions");
        }
        slug
    }

    /// `deletePackage` as `caller`: of a scratch package when they may, so later checks still
    /// have their target.
    async fn delete_package(&self, caller: &Caller) -> Reply {
        let slug = match caller.allowed(Op::DeletePackage) {
            true => self.scratch_package(caller).await,
            false => PACKAGE.to_owned(),
        };
        let query = "mutation($identifier: PackageIdentifierInput!) {
            deletePackage(identifier: $identifier) }";
        let variables = json!({ "identifier": package_identifier(self.catalog, &slug) });
        self.server
            .graphql_as(&caller.who(), query, variables)
            .await
    }

    /// `deleteVersion` as `caller`: of a version of a scratch package when they may.
    async fn delete_version(&self, caller: &Caller) -> Reply {
        let slug = match caller.allowed(Op::DeleteVersion) {
            true => {
                let slug = self.scratch_package(caller).await;
                let body = cli_publish_body(&fixture(PACKAGE, "1.0.0"));
                create_version(&self.server, &self.owner.key(), self.catalog, &slug, &body)
                    .await
                    .data("createVersion");
                slug
            }
            false => PACKAGE.to_owned(),
        };
        let query = "mutation($identifier: VersionIdentifierInput!) {
            deleteVersion(identifier: $identifier) }";
        let identifier = version_identifier(self.catalog, &slug, "1.0.0");
        self.server
            .graphql_as(&caller.who(), query, json!({ "identifier": identifier }))
            .await
    }

    /// `movePackage` as `caller` into their personal catalog (anonymous callers name the
    /// package's own): of a scratch package when they may.
    async fn move_package(&self, caller: &Caller) -> Reply {
        let slug = match caller.allowed(Op::MovePackage) {
            true => self.scratch_package(caller).await,
            false => PACKAGE.to_owned(),
        };
        let target = caller
            .account
            .as_ref()
            .map_or(self.catalog.to_owned(), |a| a.username.clone());
        let query = "mutation($identifier: PackageIdentifierInput!,
                              $catalogIdentifier: CatalogIdentifierInput!) {
            movePackage(identifier: $identifier, catalogIdentifier: $catalogIdentifier) }";
        let variables = json!({ "identifier": package_identifier(self.catalog, &slug),
                                "catalogIdentifier": { "catalogSlug": target } });
        self.server
            .graphql_as(&caller.who(), query, variables)
            .await
    }

    /// `deleteCatalog` as `caller`: of a scratch catalog of the owner's when they may.
    async fn delete_catalog(&self, caller: &Caller) -> Reply {
        let slug = match caller.allowed(Op::DeleteCatalog) {
            true => {
                assert_eq!(caller.name, "owner", "only the owner manages the catalog");
                let slug = format!("doomed-{}", self.scratch.fetch_add(1, Ordering::SeqCst));
                create_catalog(&self.server, &caller.who(), &slug, false)
                    .await
                    .data("createCatalog");
                slug
            }
            false => self.catalog.to_owned(),
        };
        let query = "mutation($identifier: CatalogIdentifierInput!) {
            deleteCatalog(identifier: $identifier) }";
        let variables = json!({ "identifier": { "catalogSlug": slug } });
        self.server
            .graphql_as(&caller.who(), query, variables)
            .await
    }

    /// Runs `op` as `caller` against the catalog and package under test.
    async fn run(&self, op: Op, caller: &Caller) -> Reply {
        let (server, who, catalog) = (&self.server, caller.who(), self.catalog);
        let package_id = json!({ "identifier": package_identifier(catalog, PACKAGE) });
        let catalog_id = json!({ "identifier": { "catalogSlug": catalog } });
        match op {
            Op::Package => {
                let query = "query($identifier: PackageIdentifierInput!) {
                    package(identifier: $identifier) { myPermissions } }";
                server.graphql_as(&who, query, package_id).await
            }
            Op::CreateVersion => {
                let body = cli_publish_body(&fixture(PACKAGE, "1.0.0"));
                create_version(server, &who, catalog, PACKAGE, &body).await
            }
            Op::UpdatePackage => {
                let value = json!({ "description": self.file()["description"] });
                update_package(server, &who, catalog, PACKAGE, value).await
            }
            Op::DeletePackage => self.delete_package(caller).await,
            Op::SetPackagePermissions => {
                let target = (catalog, PACKAGE);
                set_package_permissions(server, &who, target, "dummy", &["VIEW"], "").await
            }
            Op::UsersByPackage => {
                let query = "query($identifier: PackageIdentifierInput!) {
                    usersByPackage(identifier: $identifier) { user { username } permissions } }";
                server.graphql_as(&who, query, package_id).await
            }
            Op::Catalog => {
                let query = "query($identifier: CatalogIdentifierInput!) {
                    catalog(identifier: $identifier) {
                        identifier { catalogSlug } myPermissions } }";
                server.graphql_as(&who, query, catalog_id).await
            }
            Op::UpdateCatalog => {
                let value = json!({ "description": "Shared data" });
                update_catalog(server, &who, catalog, value).await
            }
            Op::DeleteCatalog => self.delete_catalog(caller).await,
            Op::CreatePackage => {
                let slug = format!("made-by-{}", caller.name.replace(' ', "-"));
                create_package(server, &who, catalog, &slug, &self.file()).await
            }
            Op::SearchPackages => {
                let query = "query($q: String!) { searchPackages(query: $q, limit: 100, offSet: 0)
                    { count packages { identifier { catalogSlug packageSlug } } } }";
                server
                    .graphql_as(&who, query, json!({ "q": PACKAGE }))
                    .await
            }
            Op::LatestPackages => {
                let query = "{ latestPackages(offSet: 0, limit: 100) {
                    packages { identifier { catalogSlug packageSlug } } } }";
                server.graphql_as(&who, query, json!({})).await
            }
            Op::MyCatalogs => server.graphql_as(&who, MY_CATALOGS, json!({})).await,
            Op::PackageVersionsDiff => {
                let query = "query($new: VersionIdentifierInput!, $old: VersionIdentifierInput!) {
                    packageVersionsDiff(newVersion: $new, oldVersion: $old) {
                        differences { type } } }";
                let version = version_identifier(catalog, PACKAGE, "1.0.0");
                let variables = json!({ "new": version, "old": version });
                server.graphql_as(&who, query, variables).await
            }
            Op::PackageFetched => {
                let query = "mutation($identifier: VersionIdentifierInput!) {
                    packageFetched(identifier: $identifier) }";
                let identifier = version_identifier(catalog, PACKAGE, "1.0.0");
                server
                    .graphql_as(&who, query, json!({ "identifier": identifier }))
                    .await
            }
            Op::DeleteVersion => self.delete_version(caller).await,
            Op::MovePackage => self.move_package(caller).await,
            Op::RemovePackagePermissions => {
                let query = "mutation($identifier: PackageIdentifierInput!) {
                    removePackagePermissions(identifier: $identifier,
                                             usernameOrEmailAddress: \"dummy\") }";
                server.graphql_as(&who, query, package_id).await
            }
            Op::CatalogPackages => {
                let query = "query($identifier: CatalogIdentifierInput!) {
                    catalogPackages(identifier: $identifier, offset: 0, limit: 100) {
                        identifier { catalogSlug packageSlug } } }";
                server.graphql_as(&who, query, catalog_id).await
            }
            Op::UsersByCatalog => {
                let query = "query($identifier: CatalogIdentifierInput!) {
                    usersByCatalog(identifier: $identifier) { user { username } } }";
                server.graphql_as(&who, query, catalog_id).await
            }
            Op::SetUserCatalogPermission => {
                set_catalog_permission(server, &who, catalog, "dummy", &["VIEW"], &[]).await
            }
            Op::DeleteUserCatalogPermissions => {
                let query = "mutation($identifier: CatalogIdentifierInput!) {
                    deleteUserCatalogPermissions(identifier: $identifier,
                                                 usernameOrEmailAddress: \"dummy\") }";
                server.graphql_as(&who, query, catalog_id).await
            }
        }
    }

    /// What is wrong with `reply` to `op` by `caller`, if anything.
    fn mismatch(&self, op: Op, caller: &Caller, reply: &Reply) -> Option<String> {
        let errors = reply.body.get("errors");
        if !caller.allowed(op) {
            let expected = match caller.account {
                None => ("NOT_AUTHENTICATED", "UNAUTHENTICATED"),
                Some(_) => ("NOT_AUTHORIZED", "FORBIDDEN"),
            };
            let got = errors.map(|_| reply.error());
            let got = got.as_ref().map(|(m, c)| (m.as_str(), c.as_str()));
            return (got != Some(expected) || reply.status != 200)
                .then(|| format!("expected {expected:?}, got {}", reply.body));
        }
        if errors.is_some() || reply.status != 200 {
            return Some(format!("expected success, got {}", reply.body));
        }
        let data = &reply.body["data"];
        let listed = |field: &str| identifiers_in(&data[field]["packages"]);
        let target = format!("{}/{PACKAGE}", self.catalog);
        let can_view = caller.on_package.contains(&"VIEW");
        let ok = match op {
            Op::Package => data["package"]["myPermissions"] == json!(caller.on_package),
            Op::Catalog => data["catalog"]["myPermissions"] == json!(caller.on_catalog),
            Op::SearchPackages => listed("searchPackages").contains(&target) == can_view,
            Op::LatestPackages => listed("latestPackages").contains(&target) == can_view,
            Op::CatalogPackages => identifiers_in(&data["catalogPackages"]).contains(&target),
            Op::MyCatalogs => {
                let slugs: Vec<&Value> = data["myCatalogs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| &c["identifier"]["catalogSlug"])
                    .collect();
                slugs.contains(&&json!(self.catalog)) == caller.lists_catalog
            }
            _ => true,
        };
        (!ok).then(|| format!("unexpected answer {data}"))
    }

    /// Every operation as every caller; fails with the whole list of mismatches.
    async fn check_matrix(&self) {
        let mut wrong = Vec::new();
        for op in OPS {
            for caller in &self.callers {
                let reply = self.run(op, caller).await;
                if let Some(problem) = self.mismatch(op, caller, &reply) {
                    wrong.push(format!("{op:?} as {}: {problem}", caller.name));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{} mismatches:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

/// The site administrator (the first account), `owner` with the catalog `acme` and its
/// package `countries` 1.0.0, and `dummy`, whom managers share the package with.
async fn owner_with_a_package(
    backend: support::server::Backend,
    public: bool,
) -> (TestServer, Account, Account) {
    let server = TestConfig::new(backend).start().await;
    let admin = new_account(&server, "admin-user").await;
    let owner = new_account(&server, "owner").await;
    new_account(&server, "dummy").await;
    create_catalog(&server, &owner.key(), "acme", public)
        .await
        .data("createCatalog");
    publish_fixture(&server, &owner.key(), "acme", PACKAGE, "1.0.0").await;
    if public {
        update_package(
            &server,
            &owner.key(),
            "acme",
            PACKAGE,
            json!({ "isPublic": true }),
        )
        .await
        .data("updatePackage");
    }
    (server, admin, owner)
}

on_both_databases! {
    async fn each_operation_needs_its_permission_on_a_private_package(backend: Backend) {
        let (server, admin, owner) = owner_with_a_package(backend, false).await;
        let mut accounts = Vec::new();
        for name in [
            "stranger",
            "viewer",
            "editor",
            "manager",
            "wide",
            "manage-only",
        ] {
            accounts.push(new_account(&server, name).await);
        }
        let grants: [(&str, &[&str]); 4] = [
            ("viewer", &["VIEW"]),
            ("editor", &["VIEW", "EDIT"]),
            ("manager", ALL),
            ("manage-only", &["MANAGE"]),
        ];
        for (name, permissions) in grants {
            set_package_permissions(
                &server,
                &owner.key(),
                ("acme", PACKAGE),
                name,
                permissions,
                "",
            )
            .await
            .data("setPackagePermissions");
        }
        set_catalog_permission(&server, &owner.key(), "acme", "wide", &["VIEW"], ALL)
            .await
            .data("setUserCatalogPermission");

        let [stranger, viewer, editor, manager, wide, manage_only] = &accounts[..] else {
            unreachable!()
        };
        let callers = vec![
            Caller::anonymous(),
            Caller::new("stranger", stranger),
            Caller::new("site admin", &admin),
            Caller::new("viewer", viewer).granted(&["VIEW"]),
            Caller::new("editor", editor).granted(&["VIEW", "EDIT"]),
            Caller::new("manager", manager).granted(ALL),
            Caller::new("manage-only", manage_only).granted(&["MANAGE"]),
            Caller::new("catalog-wide", wide)
                .holds(ALL, &["VIEW"])
                .listed(),
            Caller::new("owner", &owner).holds(ALL, ALL).listed(),
        ];
        let world = World::new(server, &owner, callers);
        world.check_matrix().await;
        world.server.finish().await;
    }

    async fn a_public_package_in_a_public_catalog_is_readable_by_all_and_changed_by_none(
        backend: Backend
    ) {
        let (server, admin, owner) = owner_with_a_package(backend, true).await;
        let stranger = new_account(&server, "stranger").await;
        let view: Set = &["VIEW"];
        let callers = vec![
            Caller::anonymous().holds(view, view),
            Caller::new("stranger", &stranger).holds(view, view),
            Caller::new("site admin", &admin).holds(view, view),
            Caller::new("owner", &owner).holds(ALL, ALL).listed(),
        ];
        let world = World::new(server, &owner, callers);
        world.check_matrix().await;
        world.server.finish().await;
    }

    async fn a_package_is_public_only_in_a_public_catalog_and_once_it_has_a_version(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let ada = new_account(&server, "ada").await;
        publish_fixture(&server, &ada.key(), "ada", PACKAGE, "1.0.0").await;
        let public = json!({ "isPublic": true });
        let reply = update_package(&server, &ada.key(), "ada", PACKAGE, public.clone()).await;
        assert_refused(&reply, "CATALOG_NOT_PUBLIC", "GRAPHQL_VALIDATION_FAILED");

        create_catalog(&server, &ada.key(), "open", true)
            .await
            .data("createCatalog");
        let file: Value = sent_file(PACKAGE, "1.0.0");
        create_package(&server, &ada.key(), "open", PACKAGE, &file)
            .await
            .data("createPackage");
        let reply = update_package(&server, &ada.key(), "open", PACKAGE, public.clone()).await;
        assert_refused(
            &reply,
            "PACKAGE_HAS_NO_VERSIONS",
            "GRAPHQL_VALIDATION_FAILED",
        );
        let anonymous = get_package(&server, &As::Anonymous, "open", PACKAGE).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");

        publish_fixture(&server, &ada.key(), "open", PACKAGE, "1.0.0").await;
        let reply = update_package(&server, &ada.key(), "open", PACKAGE, public).await;
        assert_eq!(
            reply.body,
            json!({ "data": { "updatePackage": {
                "identifier": { "catalogSlug": "open", "packageSlug": PACKAGE }, "isPublic": true,
            }}})
        );
        let anonymous = get_package(&server, &As::Anonymous, "open", PACKAGE).await;
        assert_eq!(anonymous.data("package")["myPermissions"], json!(["VIEW"]));
        assert!(
            !package_row(&server, "ada", PACKAGE)
                .await
                .unwrap()
                .is_public
        );
        server.finish().await;
    }

    async fn making_a_catalog_private_makes_its_packages_private(backend: Backend) {
        let (server, _, owner) = owner_with_a_package(backend, true).await;
        let anonymous = get_package(&server, &As::Anonymous, "acme", PACKAGE).await;
        assert_eq!(anonymous.data("package")["myPermissions"], json!(["VIEW"]));

        let reply =
            update_catalog(&server, &owner.key(), "acme", json!({ "isPublic": false })).await;
        assert_eq!(reply.data("updateCatalog")["isPublic"], json!(false));
        assert!(
            !package_row(&server, "acme", PACKAGE)
                .await
                .unwrap()
                .is_public
        );
        let anonymous = get_package(&server, &As::Anonymous, "acme", PACKAGE).await;
        assert_refused(&anonymous, "NOT_AUTHENTICATED", "UNAUTHENTICATED");
        let search = server
            .graphql(
                "{ searchPackages(query: \"countries\", limit: 10, offSet: 0) { count } }",
                json!({}),
            )
            .await;
        assert_eq!(search.data("searchPackages"), &json!({ "count": 0 }));
        server.finish().await;
    }

    async fn the_owner_of_a_personal_catalog_may_do_everything_with_any_package_in_it(
        backend: Backend
    ) {
        let server = TestConfig::new(backend).start().await;
        let bob = new_account(&server, "bob").await;
        let carol = new_account(&server, "carol").await;
        set_catalog_permission(&server, &bob.key(), "bob", "carol", &["VIEW", "EDIT"], NONE)
            .await
            .data("setUserCatalogPermission");
        publish_fixture(&server, &carol.key(), "bob", PACKAGE, "1.0.0").await;

        // Bob holds no stored grant of any kind on carol's package.
        let bob_id = user_row(&server, "bob").await.id;
        catalog_permission::Entity::delete_many()
            .filter(catalog_permission::Column::UserId.eq(bob_id))
            .exec(&server.state().db)
            .await
            .unwrap();
        let users = "query($identifier: PackageIdentifierInput!) {
            usersByPackage(identifier: $identifier) { user { username } permissions } }";
        let listed = server
            .graphql_as(
                &bob.key(),
                users,
                json!({ "identifier": package_identifier("bob", PACKAGE) }),
            )
            .await;
        assert_eq!(
            listed.data("usersByPackage"),
            &json!([{ "user": { "username": "carol" }, "permissions": ALL }])
        );
        let read = get_package(&server, &bob.key(), "bob", PACKAGE).await;
        let package = read.data("package");
        assert_eq!(package["myPermissions"], json!(ALL));
        assert!(package["latestVersion"]["canonicalPackageFile"].is_string());
        let catalog = "{ catalog(identifier: { catalogSlug: \"bob\" }) { myPermissions } }";
        let catalog = server.graphql_as(&bob.key(), catalog, json!({})).await;
        assert_eq!(catalog.data("catalog")["myPermissions"], json!(ALL));

        let query = "mutation($identifier: PackageIdentifierInput!) {
            deletePackage(identifier: $identifier) }";
        let identifier = json!({ "identifier": package_identifier("bob", PACKAGE) });
        let refused = server
            .graphql_as(
                &carol.key(),
                "mutation { deleteCatalog(identifier: \
            { catalogSlug: \"bob\" }) }",
                json!({}),
            )
            .await;
        assert_refused(&refused, "NOT_AUTHORIZED", "FORBIDDEN");
        let deleted = server.graphql_as(&bob.key(), query, identifier).await;
        assert_eq!(deleted.body, json!({ "data": { "deletePackage": null } }));
        assert!(package_row(&server, "bob", PACKAGE).await.is_none());
        server.finish().await;
    }
}
