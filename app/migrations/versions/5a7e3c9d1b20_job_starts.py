"""a job's starts, never set back: what fences each attempt's writes

Revision ID: 5a7e3c9d1b20
Revises: 956299a85194
Create Date: 2026-12-06 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a7e3c9d1b20'
down_revision = '956299a85194'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.add_column(sa.Column('starts', sa.Integer(), nullable=False, server_default='0'))
    # A job running as this is applied keeps the number its attempt fences its writes with.
    op.execute("UPDATE jobs SET starts = attempts")


def downgrade():
    with op.batch_alter_table('jobs') as batch_op:
        batch_op.drop_column('starts')
