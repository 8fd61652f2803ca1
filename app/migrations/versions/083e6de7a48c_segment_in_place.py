"""whether a split job's helpers read its stored input in place, measured by the coordinator

Revision ID: 083e6de7a48c
Revises: 2ccc56ad8ebd
Create Date: 2026-12-06 16:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '083e6de7a48c'
down_revision = '2ccc56ad8ebd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.add_column(sa.Column('in_place', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('segments') as batch_op:
        batch_op.drop_column('in_place')
