"""when a job's poster was stored

Revision ID: e1f2a3b4c5d6
Revises: c9e4f1a2b3d6
Create Date: 2026-12-06 05:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c5d6'
down_revision = 'c9e4f1a2b3d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.add_column(sa.Column('poster_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.drop_column('poster_at')
