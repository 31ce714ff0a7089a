//! VPS platform, part 5: private images, visible to the users chosen for them (and to staff).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImageAccess {
    Table,
    ImageId,
    UserId,
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ImageAccess::Table)
                .col(ColumnDef::new(ImageAccess::ImageId).big_integer().not_null())
                .col(ColumnDef::new(ImageAccess::UserId).big_integer().not_null())
                .primary_key(Index::create().col(ImageAccess::ImageId).col(ImageAccess::UserId))
                // Removing an image or a user removes the grant with it.
                .foreign_key(ForeignKey::create().name("fk_image_access_image").from(ImageAccess::Table, ImageAccess::ImageId).to(Images::Table, Images::Id).on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().name("fk_image_access_user").from(ImageAccess::Table, ImageAccess::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_image_access_user").table(ImageAccess::Table).col(ImageAccess::UserId).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ImageAccess::Table).to_owned()).await
    }
}
