"""the input's keyframes each segment can seek to, listed once by the coordinator

Revision ID: 2ccc56ad8ebd
Revises: a8b9c0d1e2f3
Create Date: 2026-12-06 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2ccc56ad8ebd'
down_revision = 'a8b9c0d1e2f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.add_column(sa.Column('keyframes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.drop_column('keyframes')
