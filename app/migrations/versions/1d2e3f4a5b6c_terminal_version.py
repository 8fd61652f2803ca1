"""the version a job ended with

Revision ID: 1d2e3f4a5b6c
Revises: 5a7e3c9d1b20
Create Date: 2026-12-07 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1d2e3f4a5b6c'
down_revision = '5a7e3c9d1b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.add_column(sa.Column('terminal_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.drop_column('terminal_version')
