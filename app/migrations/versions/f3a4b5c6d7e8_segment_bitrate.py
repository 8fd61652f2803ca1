"""a segment's share of a target size, as a video bitrate

Revision ID: f3a4b5c6d7e8
Revises: e1f2a3b4c5d6
Create Date: 2026-12-06 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a4b5c6d7e8'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.add_column(sa.Column('bitrate', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.drop_column('bitrate')
