"""whether a split job's helpers read a seekable copy of its input's video, stored by the coordinator

Revision ID: 956299a85194
Revises: 083e6de7a48c
Create Date: 2026-12-06 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '956299a85194'
down_revision = '083e6de7a48c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.add_column(sa.Column('seekable_copy', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.drop_column('seekable_copy')
